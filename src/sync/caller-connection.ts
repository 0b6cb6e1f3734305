import { readSync, writevSync } from 'node:fs';
import { TextBytes } from '../protocol/text-bytes.js';
import { randomBytes } from 'node:crypto';
import { Connection, State } from '../protocol/connection.js';
import { CloseCode } from '../protocol/close-codes.js';
import { WebSocketError, connectionClosed } from '../protocol/errors.js';
import { PerMessageDeflate } from '../protocol/deflate.js';
import { KEEPALIVE_TIMEOUT_REASON, Keepalive } from '../protocol/keepalive.js';
import { CloseDeadline } from '../protocol/close-deadline.js';
import { SyncConnection } from './connection.js';
import { MessageQueue } from '../protocol/message-queue.js';
import { messageCost, windowsOf, type Event, type Handover, type Windows } from './messages.js';
import { Custody, callerEnters, callerLeaves, move } from './custody.js';
import type { WorkerLink } from './worker-link.js';
import { WorkerDiedError } from './worker-died.js';

/**
 * How long a read that finds nothing is retried before the worker is asked
 * to wait for the socket: about a round trip on a local network, so an
 * answer already on its way costs no sleep and no thread hop.
 */
const SPIN_MS = 0.1;
/**
 * How long a call waits for the worker to hand the socket back, even past
 * the call's own deadline (receive(0), connected()): the worker answers at
 * once unless it is busy, and what it read meanwhile has arrived before the
 * call, so the call must see it. A busy worker holds a call up no longer.
 */
const HANDBACK_WAIT_MS = 100;
/**
 * How long after its last read a send() looks at the socket first (for a
 * Close or reset that came meanwhile): a read that finds nothing costs a
 * thrown EAGAIN (µs), too much for every send of a ping-pong, whose
 * receive() has just read anyway.
 */
const LOOK_BEFORE_SEND_MS = 5;
/** Largest single read from the socket. */
const READ_SIZE = 64 * 1024;
/** One read buffer per thread; what is read is copied out, since the protocol may keep views of it. */
let scratch: Buffer | null = null;

/**
 * A connection whose socket the calling thread runs itself (SocketThread
 * 'caller'): the sans-I/O protocol core on this thread, reads and writes
 * straight on the socket's descriptor, which the kernel answers at once
 * (the socket never blocks). A ping-pong so costs no thread hop at all.
 * The worker still owns the socket object: when there is nothing to read
 * for a while it waits for data on our behalf (we sleep meanwhile), it
 * writes what the kernel did not take, answers Pings while this thread is
 * away between calls (the custody word says who may touch the socket), and
 * closes the socket at the end.
 */
export class CallerConnection extends SyncConnection {
  private readonly fd: number;
  private readonly connection: Connection;
  private readonly custody: Int32Array;
  /** Flow control: the resolved maxQueuedBytes (receive) and sendHighWaterMark (send). */
  private readonly windows: Windows;
  private readonly closeDeadline: CloseDeadline;
  private readonly queue = new MessageQueue<string | Uint8Array>(messageCost);
  /** Bytes the worker read for us, fed to the protocol (as the receive window allows) before the socket is read again. */
  private inbox: Buffer[] = [];
  private inboxBytes = 0;
  private inboxEnded = false;
  /** When the socket was last read (performance.now()). */
  private lastRead = -Infinity;
  /** A write given to the worker failed: the connection is lost, whatever the socket says next. */
  private writeFailed = false;
  /** 'on' while the worker reads for us; 'ending' from our unwatch until it confirms. */
  private watch: 'off' | 'on' | 'ending' = 'off';
  /** Custody: 'held' by this call, 'asked' of the worker (answered by 'yielded', which sets `yieldAnswered`), or 'free'. */
  private custodyState: 'free' | 'asked' | 'held' = 'free';
  private yieldAnswered = false;
  /** The worker has writes of its own pending (Pongs from custody): ours go through it until it is idle. */
  private workerWriting = false;
  /** The socket went back to the worker to be closed (the protocol is over); 'released' once it is. */
  private release: 'no' | 'asked' | 'released' = 'no';
  /** Write requests given to the worker and how many it has done: while it lags, every write goes through it, in order. */
  private writesPosted = 0;
  private writesDone = 0;
  /** Bytes given to the worker to write and not yet written (flow control, the send window). */
  private overflow = 0;
  /** Keepalive, the engine's policy, driven while a call waits (between calls the worker answers Pings, and sends none). */
  private readonly keepalive: Keepalive;
  /** Our keepalive Ping's payload, until its Pong comes. */
  private keepalivePayload: Buffer | null = null;

  /** @internal Made by SyncWorker when the worker hands a connection over. */
  constructor(
    private readonly worker: WorkerLink,
    private readonly id: number,
    remoteAddress: string,
    protocol: string,
    handover: Handover,
    custody: Int32Array,
  ) {
    super(remoteAddress, protocol);
    this.fd = handover.fd;
    this.custody = custody;
    this.windows = windowsOf(handover.limits);
    this.closeDeadline = new CloseDeadline(handover.limits.closeTimeout);
    this.keepalive = new Keepalive(handover.limits.keepalive, performance.now());
    const deflate = handover.deflate === null ? null : new PerMessageDeflate(handover.deflate.params, handover.deflate.options);
    this.connection = new Connection({ side: 'client', maxMessageSize: handover.limits.maxMessageSize, deflate });
    if (handover.rest.length > 0) this.toInbox(asBuffer(handover.rest));
  }

  /** @internal */
  onEvent(event: Event): void {
    switch (event.type) {
      case 'read':
        for (const chunk of event.chunks) this.toInbox(asBuffer(chunk));
        if (event.end) this.inboxEnded = true;
        if (event.watchEnded && this.watch === 'on') this.watch = 'off';
        break;
      case 'unwatched':
        this.watch = 'off';
        break;
      case 'yielded':
        this.yieldAnswered = true;
        this.workerWriting = event.writing;
        break;
      case 'written':
        if (event.failed) this.writeFailed = true;
        this.writesDone = event.through;
        this.overflow -= event.bytes;
        this.workerWriting = !event.idle;
        break;
      case 'released':
        this.release = 'released';
        break;
    }
  }

  protected sendText(text: string): void {
    this.sendMessage(() => this.connection.sendText(text));
  }

  protected sendBytes(bytes: Uint8Array): void {
    this.sendMessage(() => this.connection.sendBinary(bytes)); // copies: the caller keeps its bytes
  }

  /**
   * Sends one message, or throws: WS_ERR_NOT_OPEN when the connection is
   * already over (a Close or a reset that came while the script was away is
   * looked for first), the close code and reason when it ends before the
   * message is handed to the kernel (a failed write, or an end while send()
   * waits for the send window), as the engine's send() rejects.
   */
  private sendMessage(put: () => void): void {
    try {
      this.enter(Infinity);
      this.takeArrived(LOOK_BEFORE_SEND_MS);
      put(); // throws WS_ERR_NOT_OPEN once a close has begun, as the engine does
      const handed = this.flushOut();
      const waited = this.waitForWindow();
      if (!handed || this.writeFailed || (waited && this.connection.state === State.CLOSED)) this.lost();
    } finally {
      this.leave();
    }
  }

  /** The message just sent will not reach the peer: the connection is over (1006 if nothing else ended it). */
  private lost(): never {
    if (this.connection.state !== State.CLOSED) {
      this.connection.receiveEof();
      this.afterInput();
    }
    const event = this.connection.closeEvent;
    throw connectionClosed(event?.code ?? CloseCode.ABNORMAL, event?.reason ?? '');
  }

  /**
   * Takes in what has arrived (within the receive window) without waiting:
   * what the worker read, then one look at the socket unless it was read
   * just now (`lookWithin` ms).
   */
  private takeArrived(lookWithin = 0): void {
    while (this.inboxHolds() && this.hasRoom()) this.feedOne();
    if (this.hasRoom() && performance.now() - this.lastRead >= lookWithin) this.readNow();
  }

  protected next(deadline: number): string | Uint8Array | null {
    if (this.queue.isEmpty && this.release === 'no') {
      try {
        if (this.enter(deadline)) this.readUntil(() => !this.queue.isEmpty || this.connection.state === State.CLOSED, deadline);
      } finally {
        this.leave();
      }
    }
    return this.queue.isEmpty ? null : this.queue.take();
  }

  connected(): boolean {
    if (!this.queue.isEmpty) return true;
    if (this.release !== 'no') return false;
    try {
      // A worker answering Pings meanwhile hands the socket back at once; a busy one does not hold this up for long.
      if (this.enter(performance.now())) {
        if (this.connection.holdsClose) {
          this.connection.releaseClose();
          this.afterInput();
        }
        // What has arrived, a Close frame or the end included, is seen now.
        this.takeArrived();
      }
    } finally {
      this.leave();
    }
    return !this.queue.isEmpty || this.connection.state !== State.CLOSED;
  }

  protected closeWith(code: number | undefined, reason: string | undefined): void {
    try {
      if (this.release === 'no') {
        this.closeDeadline.start(performance.now());
        const deadline = this.closeDeadline.deadline;
        let closed: boolean;
        try {
          this.enter(Infinity);
          if (this.connection.state === State.OPEN) {
            this.connection.close(code, reason);
            this.flushOut();
          }
          // The server's Close frame ends the handshake; messages before it are kept for receive() (with
          // the receive window full of them unread, reading stops and the close waits out closeTimeout).
          closed = this.readUntil(() => this.connection.state === State.CLOSED, deadline);
        } finally {
          this.leave();
        }
        // Then the server's end of the TCP connection, within what is left of closeTimeout.
        if (this.release === 'no') this.releaseSocket(closed ? Math.max(this.closeDeadline.remaining(performance.now()), 1) : 0);
      }
      this.worker.wait(() => this.release === 'released', Infinity);
    } catch (error) {
      // The worker died before or during the close: its sockets went with it.
      if (!(error instanceof WorkerDiedError)) throw error;
    }
  }

  /**
   * Starts a call: takes custody of the socket (from the worker if it is
   * answering Pings meanwhile) and feeds what the worker read for us.
   * False when the worker has not answered by the deadline (it is busy):
   * the socket is not ours to touch in this call.
   */
  private enter(callDeadline: number): boolean {
    const deadline = Math.max(callDeadline, performance.now() + HANDBACK_WAIT_MS);
    const worker = this.worker;
    worker.drain();
    worker.throwIfDead();
    if (this.release !== 'no') return true; // the socket is the worker's again, for good
    const custody = this.custody;
    const taken = callerEnters(custody);
    if (this.custodyState === 'free') {
      if (taken) {
        this.custodyState = 'held';
      } else {
        this.custodyState = 'asked';
        this.yieldAnswered = false;
        worker.post({ op: 'yield', conn: this.id });
      }
    }
    if (this.custodyState === 'asked') {
      if (!worker.wait(() => this.yieldAnswered, deadline)) return false;
      this.custodyState = 'held';
      move(custody, 'caller', Custody.FREE, Custody.CALLER); // the worker's yield left it FREE
    }
    if (this.watch === 'ending' && !worker.wait(() => this.watch === 'off', deadline)) return false;
    return true;
  }

  /** Ends a call: leaves the socket free, for the worker to answer Pings if we stay away at a frame boundary. */
  private leave(): void {
    if (this.release !== 'no' || this.custodyState !== 'held') return;
    if (this.watch === 'on') {
      this.worker.post({ op: 'unwatch', conn: this.id });
      this.watch = 'ending';
    }
    const boundary = this.watch === 'off' && !this.inboxHolds() && this.connection.state === State.OPEN && this.connection.atFrameBoundary;
    this.custodyState = 'free';
    callerLeaves(this.custody, boundary, this.windows.receive - this.queue.bytes - this.inboxBytes);
  }

  /**
   * Whether to take in more: not while the receive window is full of
   * messages unread (a script that sends and never reads), nor while as
   * much of our output (Pongs to a flood of Pings) waits for a peer that does
   * not read, so TCP pushes back either way, as in the engine. What the
   * worker read for us waits in the inbox meanwhile, and the worker reads no
   * more than the room we left (custody.ts, ROOM): the bytes held stay within the window.
   */
  private hasRoom(): boolean {
    return this.queue.bytes < this.windows.receive && this.overflow < this.windows.receive;
  }

  /**
   * Reads until `done()` holds (true) or the deadline passes (false):
   * straight from the socket while that finds data or for SPIN_MS after,
   * then asleep while the worker waits for the next chunk.
   */
  private readUntil(done: () => boolean, deadline: number): boolean {
    let spinUntil = performance.now() + SPIN_MS;
    for (;;) {
      if (done()) return true;
      if (this.connection.holdsClose && this.queue.isEmpty) {
        // The messages before the peer's Close have been read (and answered, if the script did): now it completes.
        this.connection.releaseClose();
        this.afterInput();
        continue;
      }
      if (this.release !== 'no' && !this.inboxHolds()) return this.worker.wait(done, deadline);
      if (!this.hasRoom()) {
        // Only the worker's writing (or the deadline) can end this wait.
        if (!this.worker.wait(() => done() || this.hasRoom(), deadline)) return false;
        continue;
      }
      const fromInbox = this.inboxHolds();
      const progressed = fromInbox ? this.feedOne() : this.readNow();
      const now = performance.now();
      if (progressed) {
        // A peer that keeps sending (Pings, a long message) must not hold a call past its deadline; what had
        // already arrived (the inbox, bounded by the window) is taken first, so receive(0) sees it.
        if (now >= deadline && !fromInbox) return done();
        spinUntil = now + SPIN_MS;
        continue;
      }
      if (now >= deadline) return false;
      if (now < spinUntil) continue;
      const keepaliveDue = this.keepaliveDue(now);
      if (this.connection.state === State.CLOSED) continue;
      if (this.watch === 'off') {
        this.watch = 'on';
        this.worker.post({ op: 'watch', conn: this.id });
      }
      this.worker.wait(() => this.watch !== 'on' || done(), Math.min(deadline, keepaliveDue));
      spinUntil = performance.now() + SPIN_MS;
    }
  }

  /** Does what the keepalive policy says now (a Ping, or failing with 1011); returns when to look again. */
  private keepaliveDue(now: number): number {
    if (this.connection.state !== State.OPEN) return Infinity;
    const decision = this.keepalive.check(now, !this.hasRoom());
    if (decision.action === 'wait') return decision.at;
    if (decision.action === 'ping') {
      const payload = randomBytes(4);
      this.connection.ping(payload);
      this.flushOut();
      this.keepalivePayload = payload;
      this.keepalive.pingSent(now);
      return this.keepaliveDue(now);
    }
    this.connection.fail(new WebSocketError('WS_ERR_KEEPALIVE_TIMEOUT', CloseCode.INTERNAL_ERROR, KEEPALIVE_TIMEOUT_REASON, { closeReason: KEEPALIVE_TIMEOUT_REASON }));
    this.afterInput();
    return Infinity;
  }

  /** One read from the socket, if it is ours to read now: whether it brought bytes or the end. */
  private readNow(): boolean {
    // Not past bytes the worker read for us (they come first), nor while the worker reads.
    if (this.watch !== 'off' || this.inboxHolds() || this.release !== 'no' || this.connection.state === State.CLOSED) return false;
    scratch ??= Buffer.allocUnsafeSlow(READ_SIZE);
    this.lastRead = performance.now();
    let count: number;
    try {
      count = readSync(this.fd, scratch, 0, READ_SIZE, null);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return false;
      count = 0; // reset by the peer: the end of the stream, as far as the protocol goes (1006)
    }
    if (count === 0) {
      this.connection.receiveEof();
      this.afterInput();
      return true;
    }
    this.connection.receiveData(Buffer.from(scratch.subarray(0, count)));
    this.afterInput();
    return true;
  }

  private toInbox(chunk: Buffer): void {
    this.inbox.push(chunk);
    this.inboxBytes += chunk.length;
  }

  private inboxHolds(): boolean {
    return this.inbox.length > 0 || this.inboxEnded;
  }

  /**
   * Feeds the protocol the oldest chunk the worker read for us (or the end
   * after the last): one at a time, so a chunk of empty frames becomes at
   * most one chunk's worth of messages before the window is looked at again.
   */
  private feedOne(): boolean {
    const chunk = this.inbox.shift();
    if (chunk !== undefined) {
      this.inboxBytes -= chunk.length;
      this.connection.receiveData(chunk);
    } else if (this.inboxEnded) {
      this.inboxEnded = false;
      this.connection.receiveEof();
    } else {
      return false;
    }
    this.afterInput();
    return true;
  }

  /** Queues the protocol's messages, writes its answers (Pongs, Close) and hands the socket back once it is over. */
  private afterInput(): void {
    for (const event of this.connection.takeEvents()) {
      if (event.type === 'message') {
        // This connection is made without textAsBytes: its text comes as strings.
        this.queue.push(event.data instanceof TextBytes ? event.data.toString() : event.data);
      } else if (event.type === 'pong' && this.keepalivePayload?.equals(event.data)) {
        this.keepalivePayload = null;
        this.keepalive.answered(performance.now());
      }
    }
    // Bytes came (or the end): the peer is alive.
    this.keepalive.heard();
    this.flushOut();
    if (this.connection.state === State.CLOSED && this.release === 'no') {
      // A close of ours has one closeTimeout for all of it; one the server began starts it now, for its end of TCP.
      const now = performance.now();
      this.closeDeadline.start(now);
      this.keepalive.stop();
      this.releaseSocket(Math.max(this.closeDeadline.remaining(now), 1));
    }
  }

  /**
   * Writes the protocol's outgoing bytes: straight to the socket, the rest
   * through the worker. False when a write failed (the peer is gone): they
   * are lost.
   */
  private flushOut(): boolean {
    if (!this.connection.hasOutgoing) return true;
    const out = this.connection.takeOutgoing();
    if (this.release !== 'no') return false;
    let written = 0;
    if (this.writesDone === this.writesPosted && !this.workerWriting) {
      try {
        written = writevSync(this.fd, out);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') {
          // The peer is gone (EPIPE, ECONNRESET): what was not sent is lost, as with any socket; the connection ends with 1006.
          this.connection.receiveEof();
          this.afterInput();
          return false;
        }
      }
    }
    let total = 0;
    for (const chunk of out) total += chunk.length;
    if (written < total) this.postWrite(out, written, total);
    return true;
  }

  /** Gives the worker what the kernel did not take, to write after anything given before. */
  private postWrite(out: Buffer[], skip: number, total: number): void {
    const rest = new Uint8Array(total - skip);
    let at = 0;
    for (const chunk of out) {
      if (skip >= chunk.length) {
        skip -= chunk.length;
        continue;
      }
      rest.set(skip === 0 ? chunk : chunk.subarray(skip), at);
      at += chunk.length - skip;
      skip = 0;
    }
    const bytes = rest.length; // before the transfer detaches it
    this.worker.post({ op: 'write', conn: this.id, data: [rest] }, [rest.buffer]);
    this.writesPosted++;
    this.overflow += bytes;
  }

  /**
   * Blocks while the send window's bytes wait in the worker to be written
   * (a peer that does not read), reading meanwhile: a peer that answers
   * while we send must not be stalled by our not reading. Whether it waited.
   */
  private waitForWindow(): boolean {
    if (this.overflow < this.windows.send) return false;
    this.readUntil(() => this.overflow < this.windows.send || this.release === 'released', Infinity);
    return true;
  }

  private releaseSocket(waitMs: number): void {
    this.release = 'asked';
    this.worker.post({ op: 'release', conn: this.id, waitMs });
  }
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}
