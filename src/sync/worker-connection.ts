import { CloseCode } from '../protocol/close-codes.js';
import { WebSocketError } from '../protocol/errors.js';
import { SyncConnection } from './connection.js';
import { MessageQueue } from '../protocol/message-queue.js';
import { messageCost, ownBytes, reviveError, type Event, type Windows } from './messages.js';
import type { WorkerLink } from './worker-link.js';
import { WorkerDiedError } from './worker-died.js';

/**
 * A connection whose socket lives in the worker thread (SocketThread
 * 'worker'): the worker runs the async engine, and this object holds what
 * the caller has been sent (messages, the end of the stream, flow-control
 * credit), updated whenever the thread drains the worker's events.
 */
export class WorkerConnection extends SyncConnection {
  private readonly queue = new MessageQueue<string | Uint8Array>(messageCost);
  /** No more messages will come: the worker has passed on the last one. */
  private ended = false;
  /** The TCP connection is closed (or close() returned): sending is over. */
  private closed = false;
  /** Bytes given to send() that the worker has not yet reported written (flow control, the send window). */
  private unsent = 0;
  private consumedUnreported = 0;
  private sendFailure: Error | null = null;

  /** @internal Made by SyncWorker.connect(). */
  constructor(
    private readonly worker: WorkerLink,
    private readonly id: number,
    remoteAddress: string,
    protocol: string,
    private readonly windows: Windows,
  ) {
    super(remoteAddress, protocol);
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

  protected sendText(text: string): void {
    this.post(text);
  }

  protected sendBytes(bytes: Uint8Array, ownership: 'owned' | 'borrowed'): void {
    // A caller's Uint8Array is copied (natively) so it stays usable.
    const own = ownership === 'owned' ? ownBytes(bytes) : new Uint8Array(bytes);
    this.post(own, [own.buffer as ArrayBuffer]);
  }

  /**
   * Queues the message for the worker and returns: the worker reports
   * failures afterwards, and the next send() throws them. Blocks only while
   * the send window's bytes wait to be written (a peer that does not read).
   */
  private post(data: string | Uint8Array, transfer?: ArrayBuffer[]): void {
    this.worker.drain();
    this.worker.throwIfDead();
    this.throwSendFailure();
    if (this.unsent >= this.windows.send) this.worker.wait(() => this.unsent < this.windows.send || this.closed, Infinity);
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

  protected next(deadline: number): string | Uint8Array | null {
    if (!this.hasUnread()) this.worker.wait(() => this.hasUnread() || this.ended, deadline);
    return this.hasUnread() ? this.take() : null;
  }

  connected(): boolean {
    this.worker.drain();
    if (this.hasUnread()) return true;
    this.worker.throwIfDead();
    return !this.ended;
  }

  protected closeWith(code: number | undefined, reason: string | undefined): void {
    try {
      this.worker.close(this.id, code, reason);
    } catch (error) {
      // The worker died before or during the close: its sockets went with it.
      if (!(error instanceof WorkerDiedError)) throw error;
    }
    this.closed = true;
  }

  private hasUnread(): boolean {
    return !this.queue.isEmpty;
  }

  private take(): string | Uint8Array {
    const data = this.queue.take();
    this.consumedUnreported += messageCost(data);
    if (this.consumedUnreported >= this.windows.receive / 2) {
      this.worker.post({ op: 'consumed', conn: this.id, bytes: this.consumedUnreported });
      this.consumedUnreported = 0;
    }
    return data;
  }
}
