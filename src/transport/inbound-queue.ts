import { fillsItsBuffer } from '../protocol/parts.js';
import { MessageQueue } from '../protocol/message-queue.js';
import { TextBytes } from '../protocol/text-bytes.js';
import { clearTimer, setTimer, type Timer } from './timers.js';

/** A received message: a string for text, a Buffer for binary. */
export type Message = string | Buffer;
/** What the queue holds: a Message, or a text message as TextBytes (the `textAsBytes` option). */
export type Received = Message | TextBytes;

/**
 * What the queue pauses to push back on the peer: the connection's socket
 * (or a fake in tests). Its unwritten output counts too: reading also
 * stays paused while that is over the limit.
 */
export interface Readable {
  pause(): unknown;
  resume(): unknown;
  readonly writableLength: number;
}

type Resolve = (message: Received | null) => void;

/**
 * A pending receive: its resolve function alone when it waits forever (an
 * idle connection's handler keeps no object of ours beyond its promise),
 * with its timer when it has a timeout.
 */
type Waiter = Resolve | { resolve: Resolve; timer: Timer };

function settle(waiter: Waiter, message: Received | null): void {
  if (typeof waiter === 'function') {
    waiter(message);
  } else {
    clearTimer(waiter.timer);
    waiter.resolve(message);
  }
}


/**
 * Received messages on their way to `receive`: each goes straight to the
 * oldest pending receive, or waits in a queue bounded by `limit` bytes.
 * Idle connections are the common case on a server, so the queue and the
 * waiter list are allocated only while in use.
 */
export class InboundQueue {
  /** The messages waiting and what they cost (protocol/message-queue.ts); made at the first. */
  private queue: MessageQueue<Received> | null = null;
  private paused = false;
  private ended = false;
  /** The pending receive; more than one at a time overflow into `moreWaiters`. */
  private waiter: Waiter | null = null;
  private moreWaiters: Waiter[] | null = null;

  constructor(private readonly limit: number, private readonly source: Readable) {}

  /** Bytes waiting for `receive` (plus 64 per message for its own cost). */
  get bytes(): number {
    return this.queue?.bytes ?? 0;
  }

  get hasMessages(): boolean {
    return this.queue !== null && !this.queue.isEmpty;
  }

  /** True while reading is paused by this queue. */
  get isPaused(): boolean {
    return this.paused;
  }

  /**
   * The next message, or null once `timeoutMs` passes first (the message is
   * not lost: a later call gets it) or once the stream has ended. 0 polls;
   * Infinity waits forever.
   */
  receive(timeoutMs: number): Promise<Received | null> {
    if (this.hasMessages) return Promise.resolve(this.shift());
    if (this.ended || !(timeoutMs > 0)) return Promise.resolve(null);
    return new Promise((resolve) => {
      let waiter: Waiter = resolve;
      if (Number.isFinite(timeoutMs)) {
        const timed = { resolve, timer: setTimer(() => this.expire(timed), timeoutMs) };
        waiter = timed;
      }
      if (this.waiter === null) this.waiter = waiter;
      else (this.moreWaiters ??= []).push(waiter);
    });
  }

  /** The next message if one is queued, else null: the part of `receive` that needs no waiting. */
  take(): Received | null {
    return this.hasMessages ? this.shift() : null;
  }

  /** A message from the peer: to the oldest pending receive, else into the queue. */
  push(message: Received): void {
    const waiter = this.nextWaiter();
    if (waiter !== null) {
      settle(waiter, message);
      return;
    }
    if (message instanceof TextBytes) {
      if (!fillsItsBuffer(message.bytes)) message = new TextBytes(ownCopy(message.bytes));
    } else if (typeof message !== 'string' && !fillsItsBuffer(message)) {
      message = ownCopy(message);
    }
    const queue = (this.queue ??= new MessageQueue<Received>());
    queue.push(message);
    if (!this.paused && queue.bytes > this.limit) this.updateReading();
  }

  /** No more messages will come: pending receives get null, and so do later ones once the queue is read. */
  end(): void {
    this.ended = true;
    for (let waiter = this.nextWaiter(); waiter !== null; waiter = this.nextWaiter()) settle(waiter, null);
  }

  /**
   * Reading pauses while the unread queue is over the limit, and also while
   * more than that of our own output (pongs, replies) waits for a peer that
   * does not read: either way TCP then pushes back on the peer instead of
   * this process buffering without bound. It resumes once the queue is down
   * to half and the output has drained.
   */
  updateReading(): void {
    const outputBacklog = this.source.writableLength > this.limit;
    if (!this.paused) {
      if (this.bytes > this.limit || outputBacklog) {
        this.paused = true;
        this.source.pause();
      }
    } else if (this.bytes <= this.limit >>> 1 && !outputBacklog) {
      this.paused = false;
      this.source.resume();
    }
  }

  private shift(): Received {
    const queue = this.queue!;
    const message = queue.take();
    if (queue.isEmpty) this.queue = null; // an idle connection keeps no queue
    if (this.paused) this.updateReading();
    return message;
  }

  private expire(waiter: { resolve: Resolve }): void {
    if (this.waiter === waiter) {
      this.waiter = this.moreWaiters?.shift() ?? null;
    } else if (this.moreWaiters !== null) {
      const index = this.moreWaiters.indexOf(waiter as Waiter);
      if (index !== -1) this.moreWaiters.splice(index, 1);
    }
    waiter.resolve(null);
  }

  private nextWaiter(): Waiter | null {
    const waiter = this.waiter;
    if (waiter !== null) this.waiter = this.moreWaiters?.shift() ?? null;
    return waiter;
  }
}

/**
 * A short message is a view of the socket chunk it came in; queued, it must not keep the whole chunk alive,
 * nor a slab of Buffer's pool (Buffer.from's copy), which Node 24 made 64 KiB: it gets memory of its own size.
 */
function ownCopy(bytes: Buffer): Buffer {
  const own = Buffer.allocUnsafeSlow(bytes.length);
  own.set(bytes);
  return own;
}
