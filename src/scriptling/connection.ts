import type { WebSocket } from '../transport/websocket.js';
import { toBytes, toMilliseconds, toText } from './values.js';

export type ReceivedMessage = string | number[];

/**
 * The connection object of `scriptling.websocket`: what `connect()` returns
 * and what a server handler receives (the seed's WebSocketClient). Methods
 * keep the seed's names; JavaScript cannot block, so each returns a Promise.
 */
export class WebSocketConnection {
  /** "host:port" of the peer; IPv6 as "[addr]:port". */
  readonly remote_addr: string;

  constructor(private readonly ws: WebSocket) {
    ws.binaryType = 'list';
    this.remote_addr = ws.remoteAddress;
  }

  /** Sends a text message; a dict (or list) is sent as JSON text. */
  send(message: string | object): Promise<void> {
    let text: string;
    try {
      text = toText(message);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.ws.sendText(text);
  }

  /** Sends a binary message from a list of byte values 0–255 (or a Uint8Array). */
  send_binary(data: number[] | Uint8Array): Promise<void> {
    let bytes: Uint8Array;
    try {
      bytes = toBytes(data);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.ws.send(bytes);
  }

  /**
   * The next message: a string for text, a list of byte values for binary,
   * or null on timeout or once the connection is closed and drained. A
   * timeout loses nothing: the next call still gets every message.
   * `timeout` is in seconds (default 30); 0 polls; null waits forever.
   */
  receive(timeout: number | null | { timeout?: number | null } = 30): Promise<ReceivedMessage | null> {
    let ms: number;
    try {
      ms = toMilliseconds(timeout !== null && typeof timeout === 'object' ? timeout.timeout : timeout, 30, 'receive() timeout');
    } catch (error) {
      return Promise.reject(error);
    }
    return this.ws.receive(ms) as Promise<ReceivedMessage | null>;
  }

  /** True while the connection is open, and afterwards while unread messages remain. */
  connected(): boolean {
    return this.ws.connected;
  }

  /** Closes with 1000 (or the given code and reason); resolves when the connection is closed. Idempotent. */
  close(code?: number, reason?: string): Promise<void> {
    try {
      return this.ws.close(code, reason);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** The agreed subprotocol, or "" when none was. */
  get protocol(): string {
    return this.ws.protocol;
  }

  /** The engine-level connection, for what the seed API does not cover (ping, close codes). */
  get engine(): WebSocket {
    return this.ws;
  }
}
