import type { Socket } from 'node:net';
import { Connection, State, encodeCloseBody } from '../protocol/connection.js';
import { CloseCode } from '../protocol/close-codes.js';
import { WebSocketError } from '../protocol/errors.js';
import { fillsItsBuffer } from '../protocol/parts.js';
import type { RequestInfo } from '../protocol/handshake.js';

export type Message = string | Buffer;
/** How `receive` hands out binary messages: a Buffer, or (for the Scriptling binding) a list of byte values. */
export type BinaryType = 'buffer' | 'list';
export type Received = string | Buffer | number[];

/** Limits of one open connection. Every one has a default. */
export interface ConnectionLimits {
  /** Largest message accepted (after decompression), in bytes. Default 64 MiB. */
  maxMessageSize?: number;
  /** How long to wait for the peer during the closing handshake, in ms. Default 5000. */
  closeTimeout?: number;
  /** Received-but-unread bytes beyond which reading from the socket pauses. Default 16 MiB. */
  maxQueuedBytes?: number;
  /** Unwritten bytes beyond which `send` waits for the socket to drain. Default 1 MiB. */
  sendHighWaterMark?: number;
}

interface Waiter {
  resolve: (message: Received | null) => void;
  timer: NodeJS.Timeout | null;
}

const RESOLVED = Promise.resolve();
/** Frames below this size are joined with their neighbours into blocks of up to COALESCE_BLOCK bytes. */
const COALESCE_LIMIT = 16 * 1024;
const COALESCE_BLOCK = 64 * 1024;

/**
 * What a queued message counts against maxQueuedBytes: its bytes plus its
 * own cost, so a flood of empty messages fills the queue too.
 */
const messageSize = (message: Message): number => message.length + 64;

/**
 * An open WebSocket over a socket: the I/O loop around a sans-I/O
 * `Connection`. Received messages wait in a bounded queue (the socket is
 * paused when it fills, so TCP pushes back on the sender); sends are
 * batched per tick and wait for `drain` beyond a high-water mark.
 */
export class WebSocket {
  /** "host:port", "[v6]:port" for IPv6. */
  readonly remoteAddress: string;
  /** The negotiated Sec-WebSocket-Extensions, or "". */
  readonly extensions: string;
  /** The negotiated subprotocol (Sec-WebSocket-Protocol), or "" when none was agreed. */
  readonly protocol: string;
  /** Server side: the client's opening request. Null on the client side. */
  readonly request: RequestInfo | null;
  /** The opening handshake as it went over the wire: the request head and the response head (HTTP text, without the blank line). */
  readonly handshake: { request: string; response: string } | null;
  /** Called for each Ping and Pong received (the Pong reply is already sent). */
  onping: ((data: Buffer) => void) | null = null;
  onpong: ((data: Buffer) => void) | null = null;
  /** Binary messages as Buffers (default) or as arrays of byte values. */
  binaryType: BinaryType = 'buffer';

  private readonly maxQueuedBytes: number;
  private readonly closeTimeout: number;
  private readonly sendHighWaterMark: number;

  // Idle connections are the common case on a server, so what only busy
  // ones need (queues, waiter lists, the closed promise) is allocated lazily.
  private queue: Message[] | null = null;
  private queueHead = 0;
  private queued = 0;
  private paused = false;
  /** The pending receive; more than one at a time overflow into `moreWaiters`. */
  private waiter: Waiter | null = null;
  private moreWaiters: Waiter[] | null = null;

  private pending: Buffer[] | null = null;
  private pendingBytes = 0;
  private flushScheduled = false;
  private drainWaiters: Array<() => void> | null = null;
  private drainListening = false;

  private closeScheduled = false;
  private closeTimer: NodeJS.Timeout | null = null;
  private transportClosed = false;
  private socketError: Error | null = null;
  private closed: Promise<void> | null = null;
  private resolveClosed: (() => void) | null = null;

  constructor(
    private readonly socket: Socket,
    private readonly connection: Connection,
    options: ConnectionLimits & {
      extensions?: string;
      protocol?: string;
      request?: RequestInfo;
      handshake?: { request: string; response: string };
      head?: Buffer;
    } = {},
  ) {
    this.maxQueuedBytes = options.maxQueuedBytes ?? 16 * 1024 * 1024;
    this.closeTimeout = options.closeTimeout ?? 5000;
    this.sendHighWaterMark = options.sendHighWaterMark ?? 1024 * 1024;
    this.extensions = options.extensions ?? '';
    this.protocol = options.protocol ?? '';
    this.request = options.request ?? null;
    this.handshake = options.handshake ?? null;
    this.remoteAddress = formatAddress(socket.remoteAddress, socket.remotePort);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    // The peer sent FIN. node:http's sockets allow half-open connections, so
    // nothing ends ours for us: write out what is queued, then close (and
    // destroy after closeTimeout if the peer never takes it).
    socket.on('end', () => {
      this.flush();
      this.socket.end();
      this.armCloseTimer();
    });
    socket.on('close', () => this.onTransportClosed());
    socket.on('error', (error) => {
      this.socketError ??= error;
    });
    if (options.head !== undefined && options.head.length > 0) this.onData(options.head);
  }

  /** True while open, and afterwards while unread messages remain. */
  get connected(): boolean {
    return this.hasQueued() || (this.connection.state === State.OPEN && !this.transportClosed);
  }

  /** Bytes sent but not yet handed to the kernel. */
  get bufferedAmount(): number {
    return this.pendingBytes + this.socket.writableLength;
  }

  /** Bytes received and waiting in the queue for `receive` (plus 64 per message for its own cost). */
  get queuedBytes(): number {
    return this.queued;
  }

  get state(): State {
    return this.transportClosed ? State.CLOSED : this.connection.state;
  }

  /** The close code and reason once the connection has ended (1006 if no Close frame was received). */
  get closeInfo(): { code: number; reason: string; wasClean: boolean; error?: Error } | null {
    const event = this.connection.closeEvent;
    if (event === null) return null;
    const { code, reason, wasClean, error } = event;
    return { code, reason, wasClean, error: error ?? this.socketError ?? undefined };
  }

  /** Sends a text (string) or binary (bytes) message. Resolves when it is written or buffered under the high-water mark. */
  send(data: string | Uint8Array): Promise<void> {
    try {
      if (typeof data === 'string') this.connection.sendText(data);
      else this.connection.sendBinary(data);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.flushSoon();
  }

  /** Sends a text message from a string or already-encoded UTF-8 bytes. */
  sendText(data: string | Uint8Array): Promise<void> {
    try {
      this.connection.sendText(data);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.flushSoon();
  }

  ping(data?: Uint8Array): Promise<void> {
    try {
      this.connection.ping(data);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.flushSoon();
  }

  /**
   * The next message: a string for text, a Buffer for binary. Resolves null
   * when `timeoutMs` passes first (the message is not lost: a later call gets
   * it) or when no more messages can come. 0 polls; Infinity waits forever.
   */
  receive(timeoutMs = Infinity): Promise<Received | null> {
    if (this.hasQueued()) return Promise.resolve(this.convert(this.shift()));
    if (this.state === State.CLOSED || timeoutMs <= 0) return Promise.resolve(null);
    return new Promise((resolve) => {
      const waiter: Waiter = { resolve, timer: null };
      if (Number.isFinite(timeoutMs)) waiter.timer = setTimeout(() => this.expire(waiter), timeoutMs);
      if (this.waiter === null) this.waiter = waiter;
      else (this.moreWaiters ??= []).push(waiter);
    });
  }

  private expire(waiter: Waiter): void {
    if (this.waiter === waiter) {
      this.waiter = this.moreWaiters?.shift() ?? null;
    } else if (this.moreWaiters !== null) {
      const index = this.moreWaiters.indexOf(waiter);
      if (index !== -1) this.moreWaiters.splice(index, 1);
    }
    waiter.resolve(null);
  }

  private nextWaiter(): Waiter | null {
    const waiter = this.waiter;
    if (waiter !== null) this.waiter = this.moreWaiters?.shift() ?? null;
    return waiter;
  }

  private hasQueued(): boolean {
    return this.queue !== null && this.queueHead < this.queue.length;
  }

  /**
   * Starts the closing handshake (§7.1.2) and resolves once the TCP
   * connection is closed; idempotent. The peer gets `closeTimeout` ms to
   * answer before the socket is destroyed.
   */
  close(code: number = CloseCode.NORMAL, reason = ''): Promise<void> {
    if (this.transportClosed) {
      encodeCloseBody(code, reason); // still refuse bad arguments
    } else if (this.connection.state === State.OPEN) {
      this.connection.close(code, reason);
      this.flush();
      this.armCloseTimer();
    }
    return this.whenClosed();
  }

  /** Drops the TCP connection at once, without a closing handshake. */
  terminate(): void {
    this.socket.destroy();
  }

  /** Resolves once the TCP connection is closed. */
  whenClosed(): Promise<void> {
    if (this.closed === null) {
      this.closed = this.transportClosed ? RESOLVED : new Promise((resolve) => {
        this.resolveClosed = resolve;
      });
    }
    return this.closed;
  }

  private convert(message: Message): Received {
    if (typeof message === 'string' || this.binaryType === 'buffer') return message;
    const list = new Array<number>(message.length);
    for (let i = 0; i < message.length; i++) list[i] = message[i];
    return list;
  }

  private shift(): Message {
    const queue = this.queue!;
    const message = queue[this.queueHead];
    queue[this.queueHead++] = undefined as unknown as Message;
    if (this.queueHead === queue.length) {
      this.queue = null;
      this.queueHead = 0;
    } else if (this.queueHead >= 1024 && this.queueHead * 2 >= queue.length) {
      // A queue that never quite empties must not grow a hole per message read.
      queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
    this.queued -= messageSize(message);
    if (this.paused) this.updateReading();
    return message;
  }

  /**
   * Reading pauses while the unread queue is over `maxQueuedBytes`, and also
   * while more than that of our own output (pongs, replies) waits for a peer
   * that does not read: either way TCP then pushes back on the peer instead
   * of this process buffering without bound. It resumes once the queue is
   * down to half and the output has drained.
   */
  private updateReading(): void {
    const outputBacklog = this.socket.writableLength > this.maxQueuedBytes;
    if (!this.paused) {
      if (this.queued > this.maxQueuedBytes || outputBacklog) {
        this.paused = true;
        this.socket.pause();
        if (outputBacklog) this.awaitDrain();
      }
    } else if (this.queued <= this.maxQueuedBytes >>> 1 && !outputBacklog) {
      this.paused = false;
      this.socket.resume();
    }
  }

  private onData(chunk: Buffer): void {
    this.connection.receiveData(chunk);
    this.handleEvents();
  }

  private handleEvents(): void {
    const events = this.connection.takeEvents();
    for (let i = 0; i < events.length; i++) {
      const event = events[i];
      switch (event.type) {
        case 'message':
          this.deliver(event.data);
          break;
        case 'ping':
          this.onping?.(event.data);
          break;
        case 'pong':
          this.onpong?.(event.data);
          break;
        case 'close':
          this.onProtocolClosed();
          break;
      }
    }
    if (this.connection.hasOutgoing) this.flushSoon();
    if (this.connection.holdsClose && !this.closeScheduled) {
      // After the application's reactions to the messages before it (microtasks and nextTicks).
      this.closeScheduled = true;
      setImmediate(() => {
        this.connection.releaseClose();
        this.handleEvents();
      });
    }
  }

  private deliver(message: Message): void {
    const waiter = this.nextWaiter();
    if (waiter !== null) {
      if (waiter.timer !== null) clearTimeout(waiter.timer);
      waiter.resolve(this.convert(message));
      return;
    }
    if (typeof message !== 'string' && !fillsItsBuffer(message)) {
      // A short message is a view of the socket chunk it came in; queued, it must not keep the whole chunk alive.
      message = Buffer.from(message);
    }
    (this.queue ??= []).push(message);
    this.queued += messageSize(message);
    if (!this.paused && this.queued > this.maxQueuedBytes) this.updateReading();
  }

  private onProtocolClosed(): void {
    this.flush();
    if (this.connection.shouldCloseTransport) this.socket.end(); // §7.1.1: the server closes TCP first
    this.armCloseTimer();
    this.wakeWaiters();
  }

  private onTransportClosed(): void {
    this.transportClosed = true;
    this.connection.receiveEof();
    this.connection.takeEvents(); // only the 1006 close, already in connection.closeEvent
    if (this.closeTimer !== null) clearTimeout(this.closeTimer);
    this.pending = null;
    this.wakeWaiters();
    this.onDrain();
    this.resolveClosed?.();
  }

  /** No more messages will come: pending receives get null. */
  private wakeWaiters(): void {
    for (let waiter = this.nextWaiter(); waiter !== null; waiter = this.nextWaiter()) {
      if (waiter.timer !== null) clearTimeout(waiter.timer);
      waiter.resolve(null);
    }
  }

  private armCloseTimer(): void {
    if (this.closeTimer !== null || this.transportClosed) return;
    this.closeTimer = setTimeout(() => this.socket.destroy(), this.closeTimeout);
  }

  private flushSoon(): Promise<void> {
    this.takeOutgoing();
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(flushTick, this);
    }
    if (this.pendingBytes + this.socket.writableLength <= this.sendHighWaterMark || this.transportClosed) return RESOLVED;
    return new Promise((resolve) => {
      (this.drainWaiters ??= []).push(resolve);
      this.awaitDrain();
    });
  }

  private takeOutgoing(): void {
    const out = this.connection.takeOutgoing();
    if (out.length === 0) return;
    const pending = (this.pending ??= []);
    for (let i = 0; i < out.length; i++) {
      pending.push(out[i]);
      this.pendingBytes += out[i].length;
    }
  }

  /** Writes everything pending now, in as few writes as is cheap. */
  flush(): void {
    this.takeOutgoing();
    const chunks = this.pending;
    const total = this.pendingBytes;
    this.flushScheduled = false;
    if (chunks === null) return;
    this.pending = null;
    this.pendingBytes = 0;
    if (this.transportClosed || this.socket.destroyed || !this.socket.writable) return;
    if (chunks.length === 1) {
      this.socket.write(chunks[0]);
    } else if (total <= COALESCE_LIMIT) {
      this.socket.write(Buffer.concat(chunks, total));
    } else {
      // Runs of small frames are joined into blocks (a writev of thousands of
      // tiny buffers costs more than copying them); large payloads go as they are.
      this.socket.cork();
      let runStart = 0;
      let runBytes = 0;
      for (let i = 0; i <= chunks.length; i++) {
        const chunk = i < chunks.length ? chunks[i] : null;
        if (chunk !== null && chunk.length < COALESCE_LIMIT && runBytes + chunk.length <= COALESCE_BLOCK) {
          runBytes += chunk.length;
          continue;
        }
        if (i - runStart === 1) this.socket.write(chunks[runStart]);
        else if (i > runStart) this.socket.write(Buffer.concat(chunks.slice(runStart, i), runBytes));
        runStart = i;
        runBytes = 0;
        if (chunk === null) break;
        if (chunk.length >= COALESCE_LIMIT) {
          this.socket.write(chunk);
          runStart = i + 1;
        } else {
          runBytes = chunk.length;
        }
      }
      this.socket.uncork();
    }
    if (this.drainWaiters !== null && this.socket.writableLength <= this.sendHighWaterMark) this.onDrain();
    if (!this.paused && this.socket.writableLength > this.maxQueuedBytes) this.updateReading();
  }

  /** One 'drain' listener at a time, only while someone waits for it. */
  private awaitDrain(): void {
    if (this.drainListening) return;
    this.drainListening = true;
    this.socket.once('drain', () => {
      this.drainListening = false;
      this.onDrain();
    });
  }

  private onDrain(): void {
    if (this.paused) this.updateReading();
    const waiters = this.drainWaiters;
    if (waiters === null) return;
    if (!this.transportClosed && this.socket.writableLength > this.sendHighWaterMark) {
      this.awaitDrain();
      return;
    }
    this.drainWaiters = null;
    for (const resolve of waiters) resolve();
  }

  /** For the transport's own failures, e.g. a server shutting down: fails with `error.closeCode`. */
  fail(error: WebSocketError): void {
    this.connection.fail(error);
    this.handleEvents();
  }
}

function flushTick(ws: WebSocket): void {
  ws.flush();
}

export function formatAddress(address: string | undefined, port: number | undefined): string {
  if (address === undefined) return '';
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
