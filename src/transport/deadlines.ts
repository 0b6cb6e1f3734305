import type { Socket } from 'node:net';
import { clearTimer, setTimer, type Timer } from './timers.js';

/**
 * One time budget per TCP connection, from accept to the end of the first
 * request head, TLS handshake included: node:http's headersTimeout starts
 * only once TLS is done, and node:tls allows 120 s for that.
 * node:tls wraps the accepted socket in a TLSSocket, a different object
 * that reports the same address pair, so the pair names the connection.
 */
export class HeadDeadlines {
  private readonly timers = new Map<string, Timer>();

  constructor(private readonly timeout: number) {}

  start(socket: Socket): void {
    if (!Number.isFinite(this.timeout)) return; // Infinity: no limit
    const key = connectionKey(socket);
    this.timers.set(key, setTimer(() => {
      this.timers.delete(key);
      socket.destroy();
    }, this.timeout));
    socket.once('close', () => this.clear(key));
  }

  /** The head arrived: from here the request's own limits apply. */
  settle(socket: Socket): void {
    this.clear(connectionKey(socket));
  }

  private clear(key: string): void {
    clearTimer(this.timers.get(key) ?? null);
    this.timers.delete(key);
  }
}

const connectionKey = (socket: Socket): string => `${socket.localAddress}:${socket.localPort}|${socket.remoteAddress}:${socket.remotePort}`;
