import type { Socket } from 'node:net';

/** Node's timers overflow above 2^31−1 ms and fire at once; longer waits are "forever" here. */
const MAX_TIMER = 2 ** 31 - 1;

/** Whether a time in ms can be armed as a timer; Infinity (and anything past MAX_TIMER) means no limit. */
export const isArmable = (ms: number): boolean => ms <= MAX_TIMER;

/**
 * One time budget per TCP connection, from accept to the end of the first
 * request head, TLS handshake included: node:http's headersTimeout starts
 * only once TLS is done, and node:tls allows 120 s for that.
 * node:tls wraps the accepted socket in a TLSSocket, a different object
 * that reports the same address pair, so the pair names the connection.
 */
export class HeadDeadlines {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly timeout: number) {}

  start(socket: Socket): void {
    if (!isArmable(this.timeout)) return;
    const key = connectionKey(socket);
    this.timers.set(key, setTimeout(() => {
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
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
  }
}

const connectionKey = (socket: Socket): string => `${socket.localAddress}:${socket.localPort}|${socket.remoteAddress}:${socket.remotePort}`;
