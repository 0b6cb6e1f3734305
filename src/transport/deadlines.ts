import type { Socket } from 'node:net';
import { clearTimer, setTimer, type Timer } from './timers.js';

/**
 * One time budget per TCP connection, from accept to the end of the first
 * request head, TLS handshake included: node:http's headersTimeout starts
 * only once TLS is done, and node:tls allows 120 s for that.
 * node:tls wraps the accepted socket in a TLSSocket, a different object
 * that reports the same address pair, so there the pair names the
 * connection (`keyedBy: 'address'`). Without TLS the socket is the same
 * object throughout and names itself (`keyedBy: 'socket'`, the default):
 * no local address is asked for, which Node would keep on the socket for
 * its lifetime (an object and a string per idle connection).
 */
export class HeadDeadlines {
  private readonly pending = new Map<Socket | string, { timer: Timer; socket: Socket; onClose: () => void }>();
  private readonly keyedBy: 'socket' | 'address';

  constructor(private readonly timeout: number, options: { keyedBy?: 'socket' | 'address' } = {}) {
    this.keyedBy = options.keyedBy ?? 'socket';
  }

  start(socket: Socket): void {
    if (!Number.isFinite(this.timeout)) return; // Infinity: no limit
    if (socket.remoteAddress === undefined) {
      // Reset before we saw it: nothing to wait for. Its key would be "undefined…" for every such socket, and
      // a second one would take the first's entry: the first timer would then clear the second's, leaving
      // that connection without a deadline (a slow-loris hole).
      socket.destroy();
      return;
    }
    const key = this.keyOf(socket);
    // Each clears only its own entry: should a key ever name two sockets, one's end costs the other nothing.
    const entry = {
      socket,
      onClose: (): void => this.clear(key, entry),
      timer: setTimer(() => {
        this.clear(key, entry);
        socket.destroy();
      }, this.timeout),
    };
    this.pending.set(key, entry);
    socket.once('close', entry.onClose);
  }

  /** The head arrived: from here the request's own limits apply. */
  settle(socket: Socket): void {
    if (this.pending.size > 0) this.clear(this.keyOf(socket));
  }

  /** Forgets the connection, its listener included, so an open WebSocket keeps nothing of it here. */
  private keyOf(socket: Socket): Socket | string {
    return this.keyedBy === 'socket' ? socket : connectionKey(socket);
  }

  private clear(key: Socket | string, only?: { timer: Timer; socket: Socket; onClose: () => void }): void {
    const entry = this.pending.get(key);
    if (entry === undefined || (only !== undefined && entry !== only)) return;
    this.pending.delete(key);
    clearTimer(entry.timer);
    entry.socket.off('close', entry.onClose);
  }
}

const connectionKey = (socket: Socket): string => `${socket.localAddress}:${socket.localPort}|${socket.remoteAddress}:${socket.remotePort}`;
