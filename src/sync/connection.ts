import { toBytes, toMilliseconds, toText } from '../scriptling/values.js';
import { encodeCloseBody } from '../protocol/connection.js';
import { CloseCode } from '../protocol/close-codes.js';
import type { ReceivedMessage } from '../scriptling/connection.js';
import type { Event } from './messages.js';

/**
 * A connection of `scriptling-websocket/sync`: the seed's connection object
 * with calls that block the calling thread. The arguments are checked and
 * converted here, the same for both places a socket can live (see
 * `SocketThread`); the subclasses move the bytes.
 */
export abstract class SyncConnection {
  /** "host:port" of the peer; IPv6 as "[addr]:port". */
  readonly remote_addr: string;
  /** The negotiated subprotocol, or "" when none was agreed. */
  readonly protocol: string;

  constructor(remoteAddress: string, protocol: string) {
    this.remote_addr = remoteAddress;
    this.protocol = protocol;
  }

  /** Sends a text message; a dict (or list) is sent as JSON text. */
  send(message: string | object): void {
    this.sendText(toText(message));
  }

  /** Sends a binary message from a list of byte values 0–255 (or a Uint8Array, which is copied: the caller keeps it). */
  send_binary(data: number[] | Uint8Array): void {
    this.sendBytes(toBytes(data), Array.isArray(data) ? 'owned' : 'borrowed');
  }

  /**
   * The next message: a string for text, a list of byte values for binary,
   * or null on timeout or once the connection is closed and drained. A
   * timeout loses nothing. `timeout` is in seconds (default 30); 0 polls;
   * null waits forever. The time limit is kept on this thread, however busy
   * the worker is.
   */
  receive(timeout: number | null | { timeout?: number | null } = 30): ReceivedMessage | null {
    const ms = toMilliseconds(timeout !== null && typeof timeout === 'object' ? timeout.timeout : timeout, 30, 'receive() timeout');
    const data = this.next(performance.now() + ms);
    if (data === null || typeof data === 'string') return data;
    const list = new Array<number>(data.length);
    for (let i = 0; i < data.length; i++) list[i] = data[i];
    return list;
  }

  /** True while the connection is open, and afterwards while unread messages remain. */
  abstract connected(): boolean;

  /**
   * Closes with 1000 (or the given code and reason) and returns once the
   * connection is closed. Idempotent; after the worker thread died there is
   * nothing left to close (its sockets went with it), so it returns quietly.
   */
  close(code?: number, reason?: string): void {
    encodeCloseBody(code ?? CloseCode.NORMAL, reason ?? ''); // bad arguments throw here, as in the async binding
    this.closeWith(code, reason);
  }

  /** @internal Applies one event from the worker. */
  abstract onEvent(event: Event): void;

  protected abstract sendText(text: string): void;
  /** `owned`: bytes made from a list, ours to give away; `borrowed`: the caller's, to be copied if kept. */
  protected abstract sendBytes(bytes: Uint8Array, ownership: 'owned' | 'borrowed'): void;
  /** The next message (binary as bytes), or null at the deadline (performance.now() time) or once closed and drained. */
  protected abstract next(deadline: number): string | Uint8Array | null;
  protected abstract closeWith(code: number | undefined, reason: string | undefined): void;
}
