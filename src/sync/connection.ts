import { toBytes, toMilliseconds, toText } from '../scriptling/values.js';
import { encodeCloseBody } from '../protocol/connection.js';
import { CloseCode } from '../protocol/close-codes.js';
import { WebSocketError } from '../protocol/errors.js';
import type { ReceivedMessage } from '../scriptling/connection.js';
import { RECEIVE_WINDOW, SEND_WINDOW, messageCost, ownBytes, reviveError, type Event } from './messages.js';
import type { SyncWorker } from './sync-worker.js';
import { WorkerDiedError } from './worker-died.js';

/**
 * A connection of `scriptling-websocket/sync`: the seed's connection object
 * with calls that block the calling thread. The socket lives in the worker
 * thread; this object holds what the caller has been sent (messages, the
 * end of the stream, flow-control credit) and is updated whenever the
 * thread drains the worker's events.
 */
export class SyncConnection {
  /** "host:port" of the peer; IPv6 as "[addr]:port". */
  readonly remote_addr: string;
  /** The negotiated subprotocol, or "" when none was agreed. */
  readonly protocol: string;

  private queue: Array<string | Uint8Array> = [];
  private head = 0;
  /** No more messages will come: the worker has passed on the last one. */
  private ended = false;
  /** The TCP connection is closed (or close() returned): sending is over. */
  private closed = false;
  /** Bytes given to send() that the worker has not yet reported written (flow control, SEND_WINDOW). */
  private unsent = 0;
  private consumedUnreported = 0;
  private sendFailure: Error | null = null;

  /** @internal Made by SyncWorker.connect(). */
  constructor(
    private readonly worker: SyncWorker,
    private readonly id: number,
    remoteAddress: string,
    protocol: string,
  ) {
    this.remote_addr = remoteAddress;
    this.protocol = protocol;
  }

  /** @internal Applies one event from the worker. */
  onEvent(event: Event): void {
    switch (event.type) {
      case 'messages':
        for (const data of event.data) this.queue.push(data);
        break;
      case 'end':
        // The engine ends the stream once the connection is closed.
        this.ended = true;
        this.closed = true;
        break;
      case 'closed':
        this.closed = true;
        break;
      case 'sent':
        this.unsent -= event.bytes;
        break;
      case 'sendFailed':
        this.sendFailure ??= reviveError(event.error);
        break;
    }
  }

  /** Sends a text message; a dict (or list) is sent as JSON text. */
  send(message: string | object): void {
    this.post(toText(message));
  }

  /** Sends a binary message from a list of byte values 0–255 (or a Uint8Array, which is copied: the caller keeps it). */
  send_binary(data: number[] | Uint8Array): void {
    const bytes = toBytes(data);
    // Bytes made from a list are ours to give away; a caller's Uint8Array is copied (natively) so it stays usable.
    const own = Array.isArray(data) ? ownBytes(bytes) : new Uint8Array(bytes);
    this.post(own, [own.buffer as ArrayBuffer]);
  }

  /**
   * Queues the message for the worker and returns: the worker reports
   * failures afterwards, and the next send() throws them. Blocks only while
   * SEND_WINDOW bytes wait to be written (a peer that does not read).
   */
  private post(data: string | Uint8Array, transfer?: ArrayBuffer[]): void {
    this.worker.drain();
    this.worker.throwIfDead();
    this.throwSendFailure();
    if (this.unsent >= SEND_WINDOW) this.worker.wait(() => this.unsent < SEND_WINDOW || this.closed, Infinity);
    if (this.closed) throw new WebSocketError('WS_ERR_NOT_OPEN', CloseCode.NORMAL, 'cannot send: the connection is closed');
    this.worker.post({ op: 'send', conn: this.id, data }, transfer);
    this.unsent += messageCost(data);
  }

  private throwSendFailure(): void {
    const failure = this.sendFailure;
    if (failure === null) return;
    this.sendFailure = null;
    throw failure;
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
    if (!this.hasUnread()) this.worker.wait(() => this.hasUnread() || this.ended, performance.now() + ms);
    return this.hasUnread() ? this.take() : null;
  }

  /** True while the connection is open, and afterwards while unread messages remain. */
  connected(): boolean {
    this.worker.drain();
    if (this.hasUnread()) return true;
    this.worker.throwIfDead();
    return !this.ended;
  }

  /**
   * Closes with 1000 (or the given code and reason) and returns once the
   * connection is closed. Idempotent; after the worker thread died there is
   * nothing left to close (its sockets went with it), so it returns quietly.
   */
  close(code?: number, reason?: string): void {
    encodeCloseBody(code ?? CloseCode.NORMAL, reason ?? ''); // bad arguments throw here, as in the async binding
    try {
      this.worker.close(this.id, code, reason);
    } catch (error) {
      // The worker died before or during the close: its sockets went with it.
      if (!(error instanceof WorkerDiedError)) throw error;
    }
    this.closed = true;
  }

  private hasUnread(): boolean {
    return this.head < this.queue.length;
  }

  private take(): ReceivedMessage {
    const data = this.queue[this.head];
    this.queue[this.head++] = '';
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
      // A queue that never quite empties must not grow a hole per message read.
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    this.consumedUnreported += messageCost(data);
    if (this.consumedUnreported >= RECEIVE_WINDOW / 2) {
      this.worker.post({ op: 'consumed', conn: this.id, bytes: this.consumedUnreported });
      this.consumedUnreported = 0;
    }
    if (typeof data === 'string') return data;
    const list = new Array<number>(data.length);
    for (let i = 0; i < data.length; i++) list[i] = data[i];
    return list;
  }
}
