import type { Socket } from 'node:net';
import { Connection, State, encodeCloseBody } from '../protocol/connection.js';
import { CloseCode } from '../protocol/close-codes.js';
import { WebSocketError, connectionClosed, internalError } from '../protocol/errors.js';
import { resolveLimits, type ResolvedLimits } from '../protocol/limits.js';
import type { RequestInfo } from '../protocol/handshake.js';
import { KEEPALIVE_TIMEOUT_REASON, Keepalive } from '../protocol/keepalive.js';
import { CloseDeadline } from '../protocol/close-deadline.js';
import { clearTimer, setTimer, type Timer } from './timers.js';
import { report, type ErrorReporter } from './report.js';
import { WHEEL_DUE, keepaliveWheel, type WheelSlot } from './timer-wheel.js';
import { InboundQueue, type Message, type Received } from './inbound-queue.js';
import { TextBytes } from '../protocol/text-bytes.js';
import type { PayloadHold } from '../protocol/connection.js';
import { OutboundBuffer } from './outbound-buffer.js';
import type { TopicHub } from './topics.js';

export type { Message, Received } from './inbound-queue.js';
export { TextBytes } from '../protocol/text-bytes.js';

/**
 * How `send` treats a binary payload (or UTF-8 bytes sent as text) until
 * it is written:
 * - 'lend' (the default, Node's own rule for `socket.write`): the caller
 *   does not modify the buffer until the promise `send` returned settles;
 *   a large payload then goes to the socket as it is, uncopied.
 * - 'copy': the bytes are taken at once; the caller may modify the buffer
 *   as soon as `send` returns.
 * - 'give': the buffer is handed over and the caller never modifies it
 *   again (bytes it received, or made for this message): no copy, and the
 *   promise resolves like a string's, without waiting for the write.
 */
export type BufferUse = 'lend' | 'copy' | 'give';

export interface SendOptions {
  /** See BufferUse. Default 'lend'. */
  buffer?: BufferUse;
}

/** The socket's property naming the WebSocket it carries, for the shared socket listeners. */
const OWNER = Symbol('scriptling-websocket');
type OwnedSocket = Socket & { [OWNER]: WebSocket };

/** Limits of one open connection, all in bytes or milliseconds. Every one has a default. */
export interface ConnectionLimits {
  /** Largest message accepted (after decompression), in bytes; Infinity for no limit. Default 64 MiB. */
  maxMessageSize?: number;
  /** How long to wait for the peer during the closing handshake, in ms. Default 5000. */
  closeTimeout?: number;
  /** Received-but-unread bytes beyond which reading from the socket pauses. Default 16 MiB. */
  maxQueuedBytes?: number;
  /** Unwritten bytes beyond which `send` waits for the socket to drain. Default 1 MiB. */
  sendHighWaterMark?: number;
  /**
   * Keep received text messages as their (validated) UTF-8 bytes:
   * `receiveBytes()` then hands them out as TextBytes without decoding, and
   * `send()` of a TextBytes sends them as text without encoding — a relay
   * or an echo never makes the string. `receive()` still returns strings
   * (decoding then). Default false: text is decoded as it arrives.
   */
  textAsBytes?: boolean;
  /** Keepalive: ms between the Pings we send; 0 or Infinity turns keepalive off. Default 20000. */
  pingInterval?: number;
  /** Keepalive: ms to wait for the Pong before closing with 1011; 0 or Infinity waits forever. Default 20000. */
  pingTimeout?: number;
  /**
   * Called with what went wrong inside the library or a callback (it then
   * fails that connection with 1011, never the process). Default: console.error.
   */
  onError?: ErrorReporter;
}

/**
 * Checks every numeric limit (a clear RangeError naming the option); the
 * client and server call it when they are given their options.
 */
export function checkConnectionLimits(options: ConnectionLimits): void {
  resolveLimits(options);
}

/** A Ping waiting for its Pong; `resolve` is null for our own keepalive pings. */
interface PendingPing {
  payload: Buffer;
  sentAt: number;
  resolve: ((roundTrip: number) => void) | null;
  reject: ((error: Error) => void) | null;
}

/** True when a pong's payload answers this ping (§5.5.3: the Pong echoes the Ping's data). */
const answers = (ping: PendingPing, pong: Buffer): boolean => ping.payload.equals(pong);

const RESOLVED = Promise.resolve();
/**
 * An open WebSocket over a socket: the I/O loop around a sans-I/O
 * `Connection`, with its close handshake, keepalive and events. Received
 * messages wait in an `InboundQueue` (the socket is paused when it fills,
 * so TCP pushes back on the sender); sends go through an `OutboundBuffer`,
 * batched per tick and waiting for `drain` beyond a high-water mark.
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
  /** The round-trip time of the last answered Ping (keepalive or `ping()`), in ms; 0 before any. */
  latency = 0;

  /** Made when a close begins: an idle connection keeps only its timeout. */
  private closeDeadline: CloseDeadline | null = null;
  private readonly closeTimeout: number;
  private readonly keepalive: Keepalive;
  private readonly onError: ErrorReporter | undefined;
  private readonly inbound: InboundQueue;
  private readonly outbound: OutboundBuffer;
  private readonly textAsBytes: boolean;

  // Idle connections are the common case on a server, so what only busy
  // ones need (pings, the closed promise) is allocated lazily.
  private closeScheduled = false;
  private closeTimer: Timer | null = null;

  // Keepalive: a place on the process's one keepalive wheel, until the policy's next decision
  // (the next Ping, or its Pong overdue); no timer of its own.
  private keepaliveSlot: WheelSlot | null = null;
  /** The finest rounding the wheel may apply to this connection's keepalive deadlines, in ms. */
  private readonly keepaliveStep: number;
  private keepalivePing: PendingPing | null = null;
  private pings: PendingPing[] | null = null;
  private transportClosed = false;
  private socketError: Error | null = null;
  private closed: Promise<void> | null = null;
  private resolveClosed: (() => void) | null = null;
  /** Server side: the server's topics. */
  private readonly hub: TopicHub | null;

  constructor(
    private readonly socket: Socket,
    private readonly connection: Connection,
    options: ConnectionLimits & {
      extensions?: string;
      protocol?: string;
      request?: RequestInfo;
      handshake?: { request: string; response: string };
      head?: Buffer;
      topics?: TopicHub;
      /** Set before the first frame (in `head`) is read, so that no Ping or Pong goes unseen. */
      onping?: ((data: Buffer) => void) | null;
      onpong?: ((data: Buffer) => void) | null;
      /** The limits as the entry (server, connect) resolved them once; else resolved here from the options. */
      limits?: ResolvedLimits;
    } = {},
  ) {
    const limits: ResolvedLimits = options.limits ?? resolveLimits(options);
    const maxQueuedBytes = limits.maxQueuedBytes;
    this.closeTimeout = limits.closeTimeout;
    this.keepalive = new Keepalive(limits.keepalive, performance.now());
    // A quarter of the shorter time: a 20 ms ping interval is not stretched to the wheel's 250 ms slots.
    this.keepaliveStep = Math.max(1, Math.floor(Math.min(limits.keepalive.interval, limits.keepalive.timeout) / 4));
    this.onError = options.onError;
    this.textAsBytes = options.textAsBytes ?? false;
    this.extensions = options.extensions ?? '';
    this.protocol = options.protocol ?? '';
    this.request = options.request ?? null;
    this.handshake = options.handshake ?? null;
    this.hub = options.topics ?? null;
    // A server connection's request already has it as text: one string, not a second one per connection.
    this.remoteAddress = options.request?.remote_addr ?? formatAddress(socket.remoteAddress, socket.remotePort);
    // Plain objects wired to each other, no closures: an idle connection stays small.
    this.inbound = new InboundQueue(maxQueuedBytes, socket);
    this.outbound = new OutboundBuffer(socket, connection, {
      highWaterMark: limits.sendHighWaterMark,
      backlogLimit: maxQueuedBytes,
    }, this.inbound);
    socket.setNoDelay(true);
    // One set of listeners for every connection, finding theirs on the socket: four closures less per connection.
    (socket as OwnedSocket)[OWNER] = this;
    socket.on('data', WebSocket.onSocketData);
    socket.on('end', WebSocket.onSocketEnd);
    socket.on('close', WebSocket.onSocketClose);
    socket.on('error', WebSocket.onSocketError);
    this.onping = options.onping ?? null;
    this.onpong = options.onpong ?? null;
    if (options.head !== undefined && options.head.length > 0) this.onData(options.head);
    this.scheduleKeepalive();
  }

  private static onSocketData(this: Socket, chunk: Buffer): void {
    (this as OwnedSocket)[OWNER].onData(chunk);
  }

  /**
   * The peer sent FIN. node:http's sockets allow half-open connections, so
   * nothing ends ours for us: write out what is queued, then close (and
   * destroy after closeTimeout if the peer never takes it).
   */
  private static onSocketEnd(this: Socket): void {
    const ws = (this as OwnedSocket)[OWNER];
    ws.flush();
    ws.socket.end();
    ws.armCloseTimer();
  }

  private static onSocketClose(this: Socket): void {
    (this as OwnedSocket)[OWNER].onTransportClosed();
  }

  private static onSocketError(this: Socket, error: Error): void {
    (this as OwnedSocket)[OWNER].socketError ??= error;
  }

  /** True while open, and afterwards while unread messages remain. */
  get connected(): boolean {
    return this.inbound.hasMessages || (this.connection.state === State.OPEN && !this.transportClosed);
  }

  /** Bytes sent but not yet handed to the kernel. */
  get bufferedAmount(): number {
    return this.outbound.bufferedAmount;
  }

  /** True when a `send` now would wait for the socket to drain (over `sendHighWaterMark` unwritten). */
  get sendWaits(): boolean {
    return this.outbound.sendWaits;
  }

  /** Bytes received and waiting in the queue for `receive` (plus 64 per message for its own cost). */
  get queuedBytes(): number {
    return this.inbound.bytes;
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

  /**
   * Sends a text (string, or TextBytes from `receiveBytes`) or binary
   * (Uint8Array, Buffer, ArrayBuffer or another view) message. Resolves
   * when the message is written or buffered under the high-water mark;
   * rejects with a TypeError (nothing sent) for any other type, and with
   * the close code and reason if the connection ends while the send waits.
   *
   * A binary payload is lent by default (see BufferUse): do not modify it
   * until the returned promise settles; it may then be reused. (Payloads
   * of up to 16 KiB, a client's masked frames and compressed messages are
   * copied at once, but only the rule above holds for every size.)
   */
  send(data: string | TextBytes | Uint8Array | ArrayBuffer | ArrayBufferView, options?: SendOptions): Promise<void> {
    let referenced: boolean;
    const use = options?.buffer ?? 'lend';
    try {
      if (typeof data === 'string') referenced = this.connection.sendText(data);
      else if (data instanceof TextBytes) {
        // Bytes the library received and validated, which nothing changes: given, not lent, so no wait for the write.
        this.connection.sendText(data.bytes, 'reference');
        referenced = false;
      } else referenced = this.connection.sendBinary(toBytes(data), holdFor(use));
    } catch (error) {
      return Promise.reject(error);
    }
    return referenced && use === 'lend' ? this.outbound.flushLent() : this.flushSoon();
  }

  /** Sends a text message from a string or already-encoded UTF-8 bytes (not checked); bytes are used as `send` uses them. */
  sendText(data: string | Uint8Array, options?: SendOptions): Promise<void> {
    let referenced: boolean;
    const use = options?.buffer ?? 'lend';
    try {
      referenced = this.connection.sendText(data, holdFor(use));
    } catch (error) {
      return Promise.reject(error);
    }
    return referenced && use === 'lend' ? this.outbound.flushLent() : this.flushSoon();
  }

  /** Sends an unsolicited Pong, a unidirectional heartbeat (§5.5.3); resolves like `send`. */
  pong(data: Uint8Array = Buffer.alloc(0)): Promise<void> {
    try {
      this.connection.pong(toBytes(data));
    } catch (error) {
      return Promise.reject(error);
    }
    return this.flushSoon();
  }

  /**
   * Sends a Ping and resolves with the round-trip time in ms once its Pong
   * arrives (a Pong also answers every earlier Ping, as in
   * python-websockets); rejects if the connection closes first.
   */
  ping(data: Uint8Array = Buffer.alloc(0)): Promise<number> {
    return new Promise((resolve, reject) => {
      const payload = Buffer.from(toBytes(data));
      this.connection.ping(payload);
      (this.pings ??= []).push({ payload, sentAt: performance.now(), resolve, reject });
      this.flushSoon().catch(() => {}); // a failed write ends the connection, which rejects this ping
    });
  }

  /**
   * The next message: a string for text, a Buffer for binary. Resolves null
   * when `timeoutMs` passes first (the message is not lost: a later call gets
   * it) or when no more messages can come. 0 polls; Infinity waits forever.
   */
  receive(timeoutMs = Infinity): Promise<Message | null> {
    const received = this.inbound.receive(timeoutMs);
    return this.textAsBytes ? received.then(toMessage) : received as Promise<Message | null>;
  }

  /**
   * Like `receive`, but text comes as TextBytes (its validated UTF-8 bytes,
   * with `isBinary` false) — without decoding when the `textAsBytes` option
   * is on; without it the string is encoded back. Pass it to `send` to
   * relay it as text.
   */
  receiveBytes(timeoutMs = Infinity): Promise<Buffer | TextBytes | null> {
    const received = this.inbound.receive(timeoutMs);
    return this.textAsBytes ? received as Promise<Buffer | TextBytes | null> : received.then(toBytesMessage);
  }

  /** The next message if one is already queued, else null: the part of `receive` that needs no waiting. */
  takeQueued(): Message | null {
    return toMessage(this.inbound.take());
  }

  /** `takeQueued` for `receiveBytes`. */
  takeQueuedBytes(): Buffer | TextBytes | null {
    return toBytesMessage(this.inbound.take());
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

  /**
   * Server side: receive every message published to `topic` (by
   * `server.publish`, on any process joined to this one) until
   * `unsubscribe` or the connection's end. False if already subscribed or
   * closed; a topic is a non-empty string of at most 1024 UTF-8 bytes.
   */
  subscribe(topic: string): boolean {
    return this.topicHub('subscribe').subscribe(this, topic);
  }

  /** Server side: stop receiving `topic`; false if not subscribed. */
  unsubscribe(topic: string): boolean {
    return this.topicHub('unsubscribe').unsubscribe(this, topic);
  }

  /** Server side: the topics subscribed to, in the order subscribed; [] on a client connection. */
  get topics(): string[] {
    return this.hub?.topicsOf(this) ?? [];
  }

  private topicHub(what: string): TopicHub {
    if (this.hub === null) throw new TypeError(`${what}() is for a server's connections: topics are published by a server`);
    return this.hub;
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

  private onData(chunk: Buffer): void {
    this.keepalive.heard();
    this.connection.receiveData(chunk);
    this.handleEvents();
  }

  /**
   * Reacts to the connection's events. Anything thrown here (a bug of ours,
   * or an `onping`/`onpong` callback) fails this connection with 1011 and is
   * reported through `onError`; it never escapes into a socket listener.
   */
  private handleEvents(): void {
    try {
      this.reactToEvents();
    } catch (error) {
      this.connection.fail(internalError(error));
      this.reactToEvents();
    }
  }

  private reactToEvents(): void {
    const events = this.connection.takeEvents();
    for (let i = 0; i < events.length; i++) {
      const event = events[i];
      switch (event.type) {
        case 'message':
          this.inbound.push(event.data);
          break;
        case 'ping':
          this.onping?.(event.data);
          break;
        case 'pong':
          this.onPong(event.data);
          this.onpong?.(event.data);
          break;
        case 'close':
          if (event.error?.code === 'WS_ERR_INTERNAL') report(this.onError, event.error.cause ?? event.error, 'connection');
          // A message refused as too big (1009) is still on its way: the peer cannot send its Close before the rest
          // of it, and reading that rest only to drop it costs memory at wire speed (83 MiB of dropped chunks on
          // Node 24 for a 200 MiB frame). §7.1.7: no more input is processed, so none is read; closeTimeout ends it.
          if (event.error?.closeCode === CloseCode.MESSAGE_TOO_BIG) this.socket.pause();
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

  private onProtocolClosed(): void {
    this.stopKeepalive();
    this.flush();
    if (this.connection.shouldCloseTransport) this.socket.end(); // §7.1.1: the server closes TCP first
    this.armCloseTimer();
    this.inbound.end();
  }

  private onTransportClosed(): void {
    this.transportClosed = true;
    this.hub?.leave(this);
    this.connection.receiveEof();
    this.connection.takeEvents(); // only the 1006 close, already in connection.closeEvent
    clearTimer(this.closeTimer);
    this.stopKeepalive();
    this.inbound.end();
    // Sends still waiting for `drain` and Pings still waiting for their Pong
    // never happened: they reject with the close code and reason.
    this.outbound.close(() => this.closedError());
    const pings = this.pings;
    this.pings = null;
    if (pings !== null) {
      const error = this.closedError();
      for (const ping of pings) ping.reject?.(error);
    }
    this.resolveClosed?.();
  }

  private closedError(): Error {
    const { code, reason } = this.closeInfo!;
    return connectionClosed(code, reason);
  }

  private armCloseTimer(): void {
    if (this.closeDeadline !== null || this.transportClosed) return;
    const now = performance.now();
    this.closeDeadline = new CloseDeadline(this.closeTimeout);
    this.closeDeadline.start(now);
    const ms = this.closeDeadline.remaining(now);
    if (Number.isFinite(ms)) this.closeTimer = setTimer(() => this.socket.destroy(), ms);
  }

  /** The keepalive wheel's call: this connection's next keepalive decision is due. */
  [WHEEL_DUE](): void {
    this.keepaliveSlot = null;
    try {
      this.scheduleKeepalive();
    } catch (error) {
      // A bug of ours must not reach the wheel, which serves every connection of the process.
      this.fail(internalError(error));
    }
  }

  /**
   * Does what the keepalive policy says now (see protocol/keepalive.ts) and
   * takes a place on the shared keepalive wheel for its next decision (the
   * wheel's timer is unref'd: keepalive alone keeps no process alive).
   */
  private scheduleKeepalive(): void {
    if (this.connection.state !== State.OPEN || this.transportClosed) return;
    const now = performance.now();
    const decision = this.keepalive.check(now, this.inbound.isPaused);
    if (decision.action === 'ping') {
      this.sendKeepalivePing(now);
      this.scheduleKeepalive();
    } else if (decision.action === 'fail') {
      this.fail(new WebSocketError('WS_ERR_KEEPALIVE_TIMEOUT', CloseCode.INTERNAL_ERROR, KEEPALIVE_TIMEOUT_REASON, { closeReason: KEEPALIVE_TIMEOUT_REASON }));
    } else if (Number.isFinite(decision.at)) {
      this.keepaliveSlot = keepaliveWheel.schedule(this, decision.at, this.keepaliveStep);
    }
  }

  private sendKeepalivePing(now: number): void {
    const payload = Buffer.allocUnsafe(4);
    payload.writeUInt32BE((Math.random() * 0x1_0000_0000) >>> 0, 0);
    const ping: PendingPing = { payload, sentAt: now, resolve: null, reject: null };
    this.connection.ping(payload);
    (this.pings ??= []).push(ping);
    this.keepalivePing = ping;
    this.keepalive.pingSent(now);
    this.flush();
  }

  private onPong(data: Buffer): void {
    const pings = this.pings;
    if (pings === null) return;
    const index = pings.findIndex((ping) => answers(ping, data));
    if (index === -1) return; // unsolicited Pongs are allowed (§5.5.3)
    const now = performance.now();
    this.latency = now - pings[index].sentAt;
    const answered = pings.splice(0, index + 1);
    if (pings.length === 0) this.pings = null;
    for (const ping of answered) {
      ping.resolve?.(now - ping.sentAt);
      if (ping === this.keepalivePing) {
        this.keepalivePing = null;
        this.keepalive.answered(now);
        this.leaveKeepaliveWheel();
        this.scheduleKeepalive();
      }
    }
  }

  private stopKeepalive(): void {
    this.keepalive.stop();
    this.leaveKeepaliveWheel();
    this.keepalivePing = null;
  }

  private leaveKeepaliveWheel(): void {
    if (this.keepaliveSlot === null) return;
    keepaliveWheel.cancel(this, this.keepaliveSlot);
    this.keepaliveSlot = null;
  }

  private flushSoon(): Promise<void> {
    return this.outbound.flushSoon();
  }

  /** Writes everything pending now. */
  flush(): void {
    this.outbound.flush();
  }

  /** For the transport's own failures, e.g. a server shutting down: fails with `error.closeCode`. */
  fail(error: WebSocketError): void {
    this.connection.fail(error);
    this.handleEvents();
  }
}

function holdFor(use: BufferUse): PayloadHold {
  return use === 'copy' ? 'copy' : 'reference';
}

function toMessage(received: Received | null): Message | null {
  return received instanceof TextBytes ? received.toString() : received;
}

function toBytesMessage(received: Received | null): Buffer | TextBytes | null {
  return typeof received === 'string' ? new TextBytes(Buffer.from(received, 'utf8')) : received;
}

/** The bytes of a binary message; anything else is a TypeError, before anything is queued. */
function toBytes(data: Uint8Array | ArrayBuffer | ArrayBufferView): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError(`send() takes a string or bytes (Uint8Array, Buffer, ArrayBuffer), not ${describe(data)}`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `a ${value.constructor?.name ?? 'object'}`;
  return typeof value;
}

export function formatAddress(address: string | undefined, port: number | undefined): string {
  if (address === undefined) return '';
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
