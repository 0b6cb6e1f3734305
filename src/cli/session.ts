/** What the client and server commands print about a connection beside its messages. */
import type { Writable } from 'node:stream';
import type { WebSocket } from '../transport/websocket.js';
import type { DataFormat } from './data-format.js';
import { show, type Display } from './display.js';
import type { Output } from './output.js';

/** -v: the heads as they went over the wire ("> " sent, "< " received), then what was agreed. */
export function printHandshake(ws: WebSocket, where: string, out: Writable): void {
  const { handshake } = ws;
  if (handshake !== null) {
    out.write(prefixLines(handshake.request, '> '));
    out.write(prefixLines(handshake.response, '< '));
  }
  out.write(`connected to ${where} (subprotocol: ${ws.protocol || 'none'}; extensions: ${ws.extensions || 'none'})\n`);
}

export function prefixLines(head: string, prefix: string): string {
  return head.split('\r\n').map((line) => `${prefix}${line}\n`).join('');
}

/** "ping received: 'abc'" (hex when the payload is not printable). */
export function describePing(kind: 'ping' | 'pong', data: Buffer): string {
  if (data.length === 0) return `${kind} received`;
  const text = data.toString('utf8');
  const printable = /^[\x20-\x7e]*$/.test(text);
  return `${kind} received: ${printable ? JSON.stringify(text) : data.toString('hex')}`;
}

/**
 * Prints messages until the connection ends or `limit` have come. While the
 * output is full no message is taken: the engine's queue then fills, it stops
 * reading the socket, and TCP slows the sender to the pace of our reader.
 */
export async function printMessages(ws: WebSocket, output: Output, format: DataFormat, display: Display, { limit = Infinity, from }: { limit?: number; from?: string } = {}): Promise<void> {
  for (let count = 0; count < limit; count++) {
    const message = await ws.receive();
    if (message === null) return;
    if (!output.message(show(message, format, display), from)) await output.writable();
  }
}


/** A received message as `send` takes it back (the engine hands out binary as a Buffer). */
export function sendable(message: string | Buffer | number[]): string | Buffer {
  return typeof message === 'string' || Buffer.isBuffer(message) ? message : Buffer.from(message);
}
