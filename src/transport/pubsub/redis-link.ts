import net from 'node:net';
import tls from 'node:tls';
import { RespError, RespProtocolError, RespReader, encodeCommand, type RespValue } from './resp.js';
import { describeRedis, type RedisAddress } from './redis-url.js';
import { PubSubError } from './pubsub.js';
import { report, type ErrorReporter } from '../report.js';
import { clearTimer, setTimer, type Timer } from '../timers.js';

export interface LinkOptions {
  address: RedisAddress;
  /** Extra TLS settings for rediss:// (ca, cert, key, rejectUnauthorized…). */
  tls?: tls.ConnectionOptions;
  /** ms for TCP, TLS, AUTH and SELECT. */
  connectTimeout: number;
  /** Backoff between reconnection attempts, in ms: doubles from `min` up to `max`, with jitter. */
  reconnectDelay: { min: number; max: number };
  /** Largest reply accepted, in bytes. */
  maxReplySize: number;
  onError: ErrorReporter | undefined;
  /** "subscriber" or "publisher", for messages. */
  role: string;
}

/** What a link's owner does with it. */
export interface LinkUser {
  /** Commands sent after AUTH and SELECT on every (re)connection, e.g. SUBSCRIBE to every channel. */
  setup(): Array<Array<string | Uint8Array>>;
  /** AUTH and SELECT succeeded: the link takes commands. */
  onReady(): void;
  /** A reply (or, subscribed, a pushed message) after the setup. */
  onReply(value: RespValue): void;
  /** The connection is gone; a new one is being made. */
  onDown(): void;
}

/**
 * One connection to Redis that comes back by itself: AUTH and SELECT on
 * each connect, then the owner's setup; on any loss it reconnects after a
 * growing delay until `close()`. Each outage is reported once.
 */
export class RedisLink {
  private socket: net.Socket | null = null;
  private reader: RespReader;
  /** Replies still owed to the AUTH/SELECT sent on this connection. */
  private handshakeReplies = 0;
  private ready = false;
  private closed = false;
  private attempt = 0;
  private timer: Timer | null = null;
  private outageReported = false;
  /** The last refusal reported: a wrong password is reported once, not on every retry. */
  private lastRefusal = '';
  /** Connections made after the first. */
  reconnects = 0;
  private everReady = false;

  constructor(private readonly options: LinkOptions, private readonly user: LinkUser) {
    this.reader = new RespReader(options.maxReplySize);
    this.connect();
  }

  get isReady(): boolean {
    return this.ready;
  }

  /** Unwritten bytes on the socket: how far Redis is behind. */
  get backlog(): number {
    return this.socket?.writableLength ?? 0;
  }

  /** Writes a command; false (nothing written) unless the link is ready. */
  send(args: ReadonlyArray<string | Uint8Array>): boolean {
    if (!this.ready || this.socket === null) return false;
    this.socket.write(encodeCommand(args));
    return true;
  }

  /** Writes pre-encoded commands in one go; false unless ready. */
  sendEncoded(commands: Buffer): boolean {
    if (!this.ready || this.socket === null) return false;
    this.socket.write(commands);
    return true;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimer(this.timer);
    const socket = this.socket;
    if (socket === null || socket.destroyed) return;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      // QUIT would wait for Redis; ending is enough, and destroy bounds it.
      socket.end();
      setTimeout(() => socket.destroy(), 1000).unref();
    });
  }

  private connect(): void {
    const { address } = this.options;
    this.reader = new RespReader(this.options.maxReplySize);
    const socket = address.tls
      ? tls.connect({ host: address.host, port: address.port, servername: net.isIP(address.host) ? undefined : address.host, ...this.options.tls })
      : net.connect({ host: address.host, port: address.port });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.setTimeout(this.options.connectTimeout);
    socket.once('timeout', () => socket.destroy(new Error(`no answer within ${this.options.connectTimeout} ms`)));
    socket.once(address.tls ? 'secureConnect' : 'connect', () => this.handshake(socket));
    socket.on('data', (chunk: Buffer) => this.onData(socket, chunk));
    socket.on('error', (error) => this.reportOutage(error));
    socket.once('close', () => this.onClose(socket));
  }

  private handshake(socket: net.Socket): void {
    const { username, password, db } = this.options.address;
    const commands: Array<Array<string | Uint8Array>> = [];
    if (password !== null) commands.push(username === null ? ['AUTH', password] : ['AUTH', username, password]);
    if (db !== 0) commands.push(['SELECT', String(db)]);
    this.handshakeReplies = commands.length;
    commands.push(...this.user.setup());
    if (commands.length > 0) socket.write(Buffer.concat(commands.map(encodeCommand)));
    if (this.handshakeReplies === 0) this.becomeReady(socket);
  }

  private becomeReady(socket: net.Socket): void {
    socket.setTimeout(0);
    socket.setKeepAlive(true, 10_000);
    this.ready = true;
    this.attempt = 0;
    this.outageReported = false;
    this.lastRefusal = '';
    if (this.everReady) this.reconnects++;
    this.everReady = true;
    this.user.onReady();
  }

  private onData(socket: net.Socket, chunk: Buffer): void {
    if (socket !== this.socket) return;
    let replies: RespValue[];
    try {
      replies = this.reader.push(chunk);
    } catch (error) {
      const cause = error instanceof RespProtocolError ? error : undefined;
      this.reportOutage(new PubSubError('WS_ERR_PUBSUB_PROTOCOL', `${this.where()}: ${(error as Error).message}`, { cause }), true);
      socket.destroy();
      return;
    }
    for (const reply of replies) {
      if (this.handshakeReplies > 0) {
        this.handshakeReplies--;
        if (reply instanceof RespError) {
          this.reportOutage(new PubSubError('WS_ERR_PUBSUB_REFUSED', `${this.where()} refused AUTH or SELECT: ${reply.message}`), true);
          socket.destroy();
          return;
        }
        if (this.handshakeReplies === 0) this.becomeReady(socket);
        continue;
      }
      this.user.onReply(reply);
    }
  }

  private onClose(socket: net.Socket): void {
    if (socket !== this.socket) return;
    this.socket = null;
    const wasReady = this.ready;
    this.ready = false;
    if (this.closed) return;
    if (wasReady) {
      this.reportOutage(new PubSubError('WS_ERR_PUBSUB_DOWN', `lost the ${this.options.role} connection to ${this.where()}; reconnecting`));
      this.user.onDown();
    }
    const { min, max } = this.options.reconnectDelay;
    const delay = Math.min(max, min * 2 ** this.attempt) * (0.5 + Math.random() / 2);
    this.attempt = Math.min(this.attempt + 1, 30);
    this.timer = setTimer(() => {
      this.timer = null;
      if (!this.closed) this.connect();
    }, delay);
  }

  /** Reports the first failure of an outage, and each new refusal (which needs someone to fix a setting). */
  private reportOutage(error: Error, refusal = false): void {
    if (this.closed) return;
    if (refusal) {
      if (error.message === this.lastRefusal) return;
      this.lastRefusal = error.message;
    } else if (this.outageReported) {
      return;
    }
    this.outageReported = true;
    const reported = error instanceof PubSubError ? error
      : new PubSubError('WS_ERR_PUBSUB_DOWN', `cannot reach ${this.where()} (${error.message}); retrying`, { cause: error });
    report(this.options.onError, reported, `pubsub ${this.options.role}`);
  }

  private where(): string {
    return describeRedis(this.options.address);
  }
}
