import type { TextBytes, WebSocket } from '../transport/websocket.js';
import type { RequestInfo } from '../protocol/handshake.js';
import { MAX_INLINE_PAYLOAD } from '../protocol/frame.js';
import { decodeText } from '../protocol/utf8.js';
import { toBytes, toList, toMilliseconds, toText } from './values.js';

export type ReceivedMessage = string | number[];

const toSeconds = (milliseconds: number): number => milliseconds / 1000;

/**
 * The binding's engine connections keep text as bytes (textAsBytes) so that
 * it can remember the bytes of the last large text message it decoded.
 */
export const BINDING_ENGINE_OPTIONS = { textAsBytes: true } as const;

/**
 * The connection object of `scriptling.websocket`: what `connect()` returns
 * and what a server handler receives (the seed's WebSocketClient). Methods
 * keep the seed's names; JavaScript cannot block, so each returns a Promise.
 */
export class WebSocketConnection {
  /** "host:port" of the peer; IPv6 as "[addr]:port". */
  readonly remote_addr: string;
  /**
   * The last text message received, when larger than a frame's inline
   * limit (16 KiB), and its UTF-8 bytes: an echo or a relay that sends that
   * same string back sends these bytes, not a fresh encoding of the string
   * (a pass over every byte and a buffer of its size). Kept until the next
   * receive; small messages are not kept (their bytes are views of a socket
   * chunk, which they would keep alive, and encoding them costs little).
   */
  private echoText: string | null = null;
  private echoBytes: Buffer | null = null;
  private received: ((message: Buffer | TextBytes | null) => ReceivedMessage | null) | null = null;

  constructor(private readonly ws: WebSocket) {
    this.remote_addr = ws.remoteAddress;
  }

  private toReceived(message: Buffer | TextBytes | null): ReceivedMessage | null {
    this.echoText = null;
    this.echoBytes = null;
    if (message === null) return null;
    if (Buffer.isBuffer(message)) return toList(message);
    const text = decodeText(message.bytes, 'validated')!; // validated by the protocol as it arrived
    if (message.bytes.length > MAX_INLINE_PAYLOAD) {
      this.echoText = text;
      this.echoBytes = message.bytes;
    }
    return text;
  }

  /** Sends a text message; a dict (or list) is sent as JSON text. */
  send(message: string | object): Promise<void> {
    let text: string;
    try {
      text = toText(message);
    } catch (error) {
      return Promise.reject(error);
    }
    // The same string as the last large one received (=== compares the pointer first, then contents of equal length).
    if (text === this.echoText) return this.ws.sendText(this.echoBytes!, { buffer: 'give' });
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
    // A list was converted into bytes made here, which nothing else holds: given, not copied.
    return this.ws.send(bytes, { buffer: Array.isArray(data) ? 'give' : 'copy' });
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
    // A queued message is converted at once; only a real wait costs a second promise.
    const queued = this.ws.takeQueuedBytes();
    if (queued !== null) return Promise.resolve(this.toReceived(queued));
    return this.ws.receiveBytes(ms).then(this.received ??= (message) => this.toReceived(message));
  }

  /**
   * Sends a Ping; resolves with the round-trip time in seconds once the
   * Pong arrives. `latency` keeps the last one (keepalive pings count too).
   */
  ping(): Promise<number> {
    return this.ws.ping().then(toSeconds);
  }

  /** The last measured round-trip time in seconds; 0 before any. */
  get latency(): number {
    return this.ws.latency / 1000;
  }

  /**
   * True while the connection is open, and afterwards while unread messages
   * remain: the condition of the reading loop. It does not mean a send will
   * succeed (the peer may have closed already); `broadcast()` checks that.
   */
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

  /**
   * Server side: receive every message published to `topic`
   * (`runtime.publish`, from any worker or host joined to this server)
   * until `unsubscribe` or the end of the connection, which leaves every
   * topic. False if already subscribed. A topic is a non-empty string of at
   * most 1024 UTF-8 bytes; at most 1000 per connection (maxTopicsPerConnection).
   */
  subscribe(topic: string): boolean {
    return this.ws.subscribe(topic);
  }

  /** Server side: stop receiving `topic`; false if not subscribed. */
  unsubscribe(topic: string): boolean {
    return this.ws.unsubscribe(topic);
  }

  /** Server side: the topics subscribed to (a list, in the order subscribed). */
  get topics(): string[] {
    return this.ws.topics;
  }

  /** Server side: the opening request (method, path, query, headers, remote_addr); null on a client connection. */
  get request(): RequestInfo | null {
    return this.ws.request;
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
