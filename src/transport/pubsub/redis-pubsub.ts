import { randomBytes } from 'node:crypto';
import type tls from 'node:tls';
import { RedisLink } from './redis-link.js';
import { RespError, encodeCommand, type RespValue } from './resp.js';
import { describeRedis, parseRedisUrl, type RedisAddress } from './redis-url.js';
import { PubSubError, type Deliver, type PubSub, type PubSubFactory } from './pubsub.js';
import { report, type ErrorReporter } from '../report.js';

export interface RedisPubSubOptions {
  /** redis://[user:password@]host:port[/db], or rediss:// for TLS. */
  url: string;
  /** Prepended to each topic to make its Redis channel. Default "scriptling-ws:". */
  prefix?: string;
  /**
   * Bytes of publishes kept while Redis is unreachable (or not taking them
   * as fast as they come); beyond this they are dropped, counted in
   * `stats.dropped` and reported through onError (once per outage). Default 1 MiB.
   */
  maxQueuedBytes?: number;
  /** ms for connecting, TLS, AUTH and SELECT. Default 5000. */
  connectTimeout?: number;
  /** Reconnection backoff in ms: from `min`, doubling, up to `max` (with jitter). Default { min: 100, max: 2000 }. */
  reconnectDelay?: { min?: number; max?: number };
  /** Largest message taken from Redis, in bytes. Default 64 MiB. */
  maxMessageSize?: number;
  /** Extra TLS settings for rediss:// (ca, cert, key…). */
  tls?: tls.ConnectionOptions;
  /** Where outages, refusals and drops are reported. Default: the server's onError, else console.error. */
  onError?: ErrorReporter;
}

export interface RedisPubSubStats {
  /** Publishes written to Redis. */
  published: number;
  /** Messages from other processes delivered here. */
  received: number;
  /** Publishes dropped: queue full while Redis was unreachable or behind. */
  dropped: number;
  /** Bytes of publishes waiting for Redis now. */
  queuedBytes: number;
  /** Messages on our channels that another program published (not in our format): ignored. */
  foreign: number;
  /** Reconnections of the subscriber and the publisher connections. */
  reconnects: number;
}

/**
 * Every message on a channel is MAGIC, its kind ('t' text, 'b' binary),
 * the 8-byte id of the publishing process (which skips its own), then the
 * payload bytes as they were.
 */
const MAGIC = Buffer.from('sw1');
const HEADER = MAGIC.length + 1 + 8;
const TEXT = 0x74;
const BINARY = 0x62;

/** Joins a server's topics to every process using the same Redis (and prefix). */
export function redisPubSub(options: string | RedisPubSubOptions): PubSubFactory {
  const settings = typeof options === 'string' ? { url: options } : options;
  const address = parseRedisUrl(settings.url);
  const resolved = resolveOptions(settings);
  return (deliver) => new RedisPubSub(address, resolved, deliver);
}

type Resolved = Required<Omit<RedisPubSubOptions, 'url' | 'tls' | 'onError' | 'reconnectDelay'>> &
  Pick<RedisPubSubOptions, 'tls' | 'onError'> & { reconnectDelay: { min: number; max: number } };

function resolveOptions(options: RedisPubSubOptions): Resolved {
  const count = (value: number | undefined, fallback: number, name: string, min = 0): number => {
    if (value === undefined) return fallback;
    if (!(typeof value === 'number' && value >= min && (Number.isInteger(value) || value === Infinity))) {
      throw new RangeError(`pubsub ${name} must be an integer ≥ ${min}, not ${String(value)}`);
    }
    return value;
  };
  const prefix = options.prefix ?? 'scriptling-ws:';
  if (typeof prefix !== 'string') throw new TypeError('pubsub prefix must be a string');
  const min = count(options.reconnectDelay?.min, 100, 'reconnectDelay.min', 1);
  const max = count(options.reconnectDelay?.max, Math.max(2000, min), 'reconnectDelay.max', min);
  return {
    prefix,
    maxQueuedBytes: count(options.maxQueuedBytes, 1024 * 1024, 'maxQueuedBytes'),
    connectTimeout: count(options.connectTimeout, 5000, 'connectTimeout', 1),
    maxMessageSize: count(options.maxMessageSize, 64 * 1024 * 1024, 'maxMessageSize', 1),
    reconnectDelay: { min, max },
    tls: options.tls,
    onError: options.onError,
  };
}

/**
 * Two connections, as Redis wants: a subscribed connection takes no other
 * commands. The subscriber holds one channel per topic with a subscriber
 * here and resubscribes after each reconnect; the publisher queues while
 * it is down, up to maxQueuedBytes.
 */
export class RedisPubSub implements PubSub {
  readonly stats: RedisPubSubStats = { published: 0, received: 0, dropped: 0, queuedBytes: 0, foreign: 0, reconnects: 0 };
  private readonly origin = randomBytes(8);
  private readonly prefix: Buffer;
  private readonly channels = new Set<string>();
  private readonly subscriber: RedisLink;
  private readonly publisher: RedisLink;
  private queue: Buffer[] = [];
  private dropReported = false;
  private foreignReported = false;
  private closed = false;

  constructor(private readonly address: RedisAddress, private readonly options: Resolved, private readonly deliver: Deliver) {
    this.prefix = Buffer.from(options.prefix, 'utf8');
    const link = (role: string) => ({
      address,
      tls: options.tls,
      connectTimeout: options.connectTimeout,
      reconnectDelay: options.reconnectDelay,
      maxReplySize: options.maxMessageSize + HEADER + this.prefix.length + 2048,
      onError: options.onError,
      role,
    });
    this.subscriber = new RedisLink(link('subscriber'), {
      setup: () => [],
      // Every channel at once when ready: a topic subscribed to while AUTH was under way is included too.
      onReady: () => {
        if (this.channels.size > 0) this.subscriber.send(['SUBSCRIBE', ...[...this.channels].map((t) => this.channel(t))]);
      },
      onReply: (reply) => this.onPush(reply),
      onDown: () => {},
    });
    this.publisher = new RedisLink(link('publisher'), {
      setup: () => [],
      onReady: () => this.flushQueue(),
      onReply: (reply) => {
        if (reply instanceof RespError) report(this.options.onError, new PubSubError('WS_ERR_PUBSUB_REFUSED', `${describeRedis(address)} refused PUBLISH: ${reply.message}`), 'pubsub publisher');
      },
      onDown: () => {},
    });
  }

  /** True while both connections are up. */
  get connected(): boolean {
    return this.subscriber.isReady && this.publisher.isReady;
  }

  publish(topic: string, data: Uint8Array, binary: boolean): void {
    if (this.closed) return;
    const message = Buffer.allocUnsafe(HEADER + data.byteLength);
    MAGIC.copy(message, 0);
    message[MAGIC.length] = binary ? BINARY : TEXT;
    this.origin.copy(message, MAGIC.length + 1);
    message.set(data, HEADER);
    const command = encodeCommand(['PUBLISH', this.channel(topic), message]);
    if (this.publisher.isReady && this.queue.length === 0) {
      if (this.publisher.backlog + command.length > this.options.maxQueuedBytes) return this.drop('Redis is not taking publishes as fast as they come');
      this.publisher.sendEncoded(command);
      this.stats.published++;
      return;
    }
    if (this.stats.queuedBytes + command.length > this.options.maxQueuedBytes) return this.drop('Redis is unreachable');
    this.queue.push(command);
    this.stats.queuedBytes += command.length;
  }

  subscribe(topic: string): void {
    this.channels.add(topic);
    this.subscriber.send(['SUBSCRIBE', this.channel(topic)]);
  }

  unsubscribe(topic: string): void {
    this.channels.delete(topic);
    this.subscriber.send(['UNSUBSCRIBE', this.channel(topic)]);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.queue = [];
    this.stats.queuedBytes = 0;
    await Promise.all([this.subscriber.close(), this.publisher.close()]);
  }

  private channel(topic: string): Buffer {
    return Buffer.concat([this.prefix, Buffer.from(topic, 'utf8')]);
  }

  private flushQueue(): void {
    this.stats.reconnects = this.subscriber.reconnects + this.publisher.reconnects;
    this.dropReported = false;
    if (this.queue.length === 0) return;
    const queued = this.queue;
    this.queue = [];
    this.stats.queuedBytes = 0;
    this.publisher.sendEncoded(Buffer.concat(queued));
    this.stats.published += queued.length;
  }

  private drop(why: string): void {
    this.stats.dropped++;
    if (this.dropReported) return;
    this.dropReported = true;
    report(this.options.onError, new PubSubError('WS_ERR_PUBSUB_DROPPED',
      `${why}: publishes beyond maxQueuedBytes (${this.options.maxQueuedBytes}) are dropped (counted in stats.dropped) until it catches up`), 'pubsub publisher');
  }

  /** A pushed ["message", channel, payload]; subscribe confirmations and others are ignored. */
  private onPush(reply: RespValue): void {
    this.stats.reconnects = this.subscriber.reconnects + this.publisher.reconnects;
    if (!Array.isArray(reply) || reply.length !== 3) return;
    const [kind, channel, payload] = reply;
    if (!(kind instanceof Buffer) || kind.toString('latin1') !== 'message' || !(channel instanceof Buffer) || !(payload instanceof Buffer)) return;
    const ours = payload.length >= HEADER && payload.subarray(0, MAGIC.length).equals(MAGIC) && (payload[MAGIC.length] === TEXT || payload[MAGIC.length] === BINARY);
    if (!ours || !channel.subarray(0, this.prefix.length).equals(this.prefix)) {
      this.stats.foreign++;
      if (!this.foreignReported) {
        this.foreignReported = true;
        report(this.options.onError, new PubSubError('WS_ERR_PUBSUB_PROTOCOL', `a message on ${channel.toString()} is not from scriptling-websocket: ignored (counted in stats.foreign)`), 'pubsub subscriber');
      }
      return;
    }
    if (payload.subarray(MAGIC.length + 1, HEADER).equals(this.origin)) return; // our own, delivered here already
    const topic = channel.subarray(this.prefix.length).toString('utf8');
    if (!this.channels.has(topic)) return; // a message that crossed our UNSUBSCRIBE
    this.stats.received++;
    this.deliver(topic, payload.subarray(HEADER), payload[MAGIC.length] === BINARY);
  }
}
