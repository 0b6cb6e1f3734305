import { State } from '../protocol/connection.js';
import type { WebSocketConnection } from './connection.js';
import { toBytes, toText } from './values.js';

/**
 * broadcast(clients, message): sends one message to many connections and
 * waits for none of them (python-websockets has the same helper). The
 * message is what `receive()` returns: a string is text, a list of byte
 * values (or bytes) is binary; a dict is sent as JSON text.
 *
 * The seed's chat loop, `for c in clients: if c.connected(): c.send(msg)`,
 * has two failure modes this avoids. `connected()` stays true while a
 * leaving client still has unread messages, so `send` to it fails in the
 * sender's handler; here connections that can no longer send are skipped.
 * And `send` waits while a client's unwritten output is over its
 * `sendHighWaterMark`, so one client that never reads stalls everyone;
 * here such a client is skipped: it misses messages instead, and the
 * others keep receiving. Returns how many connections the message went to.
 */
const GIVEN = { buffer: 'give' } as const;

export function broadcast(clients: Iterable<WebSocketConnection>, message: string | object | number[] | Uint8Array): number {
  const binary = Array.isArray(message) || message instanceof Uint8Array || message instanceof ArrayBuffer;
  // One copy of the caller's bytes (a list is converted into new ones anyway), given to every connection.
  const payload = binary ? (message instanceof Uint8Array ? Buffer.from(message) : toBytes(message)) : Buffer.from(toText(message), 'utf8');
  let sent = 0;
  for (const client of clients) {
    const ws = client.engine;
    if (ws.state !== State.OPEN || ws.sendWaits) continue;
    const sending = binary ? ws.send(payload, GIVEN) : ws.sendText(payload, GIVEN);
    // A connection that dies before this is written is that connection's end, not the broadcaster's error.
    sending.catch(() => {});
    sent++;
  }
  return sent;
}
