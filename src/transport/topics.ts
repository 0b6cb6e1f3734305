import { isUtf8 } from '../protocol/utf8.js';
import { State } from '../protocol/connection.js';
import type { WebSocket } from './websocket.js';
import type { PubSub, PubSubFactory } from './pubsub/pubsub.js';

const GIVEN = { buffer: 'give' } as const;

/** Most topics one connection may hold at once, by default. */
export const DEFAULT_MAX_TOPICS_PER_CONNECTION = 1000;
/** Longest topic name, in UTF-8 bytes (a Redis channel name is the prefix plus this). */
export const MAX_TOPIC_LENGTH = 1024;

export interface TopicCounts {
  /** Deliveries handed to a connection's output. */
  delivered: number;
  /** Deliveries skipped because the subscriber's unwritten output was over its sendHighWaterMark. */
  skipped: number;
}

/**
 * The topics of one server: who is subscribed to what, and delivery of a
 * publish to this process's subscribers (and, through `pubsub`, to every
 * process joined to it).
 *
 * A subscriber that does not read never stalls the others: as in
 * `broadcast()`, a connection whose unwritten output is over its
 * `sendHighWaterMark` (1 MiB by default) is skipped, so it misses that
 * message (counted in `counts.skipped`) and gets later ones once its output
 * has drained. Keepalive still closes a peer that stopped answering.
 */
export class TopicHub {
  private readonly subscribers = new Map<string, Set<WebSocket>>();
  private readonly memberships = new Map<WebSocket, Set<string>>();
  readonly counts: TopicCounts = { delivered: 0, skipped: 0 };
  /** Other processes joined to this one (cluster workers, Redis); null: this process alone. */
  readonly pubsub: PubSub | null;

  constructor(
    private readonly maxTopicsPerConnection: number = DEFAULT_MAX_TOPICS_PER_CONNECTION,
    pubsub: PubSubFactory | null = null,
  ) {
    this.pubsub = pubsub === null ? null : pubsub((topic, data, binary) => this.deliver(topic, data, binary));
  }

  /** Adds `ws` to `topic`; false if it already was there. A closed connection is never added. */
  subscribe(ws: WebSocket, topic: string): boolean {
    checkTopic(topic);
    if (ws.state === State.CLOSED) return false;
    let topics = this.memberships.get(ws);
    if (topics?.has(topic)) return false;
    if ((topics?.size ?? 0) >= this.maxTopicsPerConnection) {
      throw new RangeError(`a connection may subscribe to at most ${this.maxTopicsPerConnection} topics (maxTopicsPerConnection)`);
    }
    if (topics === undefined) this.memberships.set(ws, (topics = new Set()));
    topics.add(topic);
    let members = this.subscribers.get(topic);
    if (members === undefined) {
      this.subscribers.set(topic, (members = new Set()));
      this.pubsub?.subscribe(topic);
    }
    members.add(ws);
    return true;
  }

  /** Removes `ws` from `topic`; false if it was not there. */
  unsubscribe(ws: WebSocket, topic: string): boolean {
    checkTopic(topic);
    const topics = this.memberships.get(ws);
    if (topics === undefined || !topics.delete(topic)) return false;
    if (topics.size === 0) this.memberships.delete(ws);
    this.drop(ws, topic);
    return true;
  }

  /** The topics `ws` is subscribed to, in the order it subscribed. */
  topicsOf(ws: WebSocket): string[] {
    const topics = this.memberships.get(ws);
    return topics === undefined ? [] : [...topics];
  }

  /** Removes `ws` from every topic: it has closed. */
  leave(ws: WebSocket): void {
    const topics = this.memberships.get(ws);
    if (topics === undefined) return;
    this.memberships.delete(ws);
    for (const topic of topics) this.drop(ws, topic);
  }

  /** Number of this process's subscribers of `topic`. */
  subscriberCount(topic: string): number {
    return this.subscribers.get(topic)?.size ?? 0;
  }

  /**
   * Sends to every subscriber of `topic` here and hands the message to the
   * other processes; returns how many connections of this process it went to.
   */
  publish(topic: string, data: string | Uint8Array, options: { binary?: boolean } = {}): number {
    checkTopic(topic);
    const binary = options.binary ?? typeof data !== 'string';
    // One copy of the caller's bytes, given to every subscriber (none copies it again) and to the other processes.
    const payload = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
    if (!binary && typeof data !== 'string' && !isUtf8(payload)) throw new TypeError('publish(): text must be UTF-8 (use { binary: true } for bytes)');
    const sent = this.deliver(topic, payload, binary);
    this.pubsub?.publish(topic, payload, binary);
    return sent;
  }

  /** Sends to this process's subscribers only: a publish from here or from another process. */
  deliver(topic: string, payload: Uint8Array, binary: boolean): number {
    const members = this.subscribers.get(topic);
    if (members === undefined) return 0;
    let sent = 0;
    for (const ws of members) {
      if (ws.state !== State.OPEN) continue;
      if (ws.sendWaits) {
        this.counts.skipped++;
        continue;
      }
      // The payload is ours (publish's copy, or bytes from another process): given, never changed.
      const sending = binary ? ws.send(payload, GIVEN) : ws.sendText(payload, GIVEN);
      // A connection that dies before this is written is that connection's end, not the publisher's error.
      sending.catch(ignore);
      sent++;
    }
    this.counts.delivered += sent;
    return sent;
  }

  /** Stops the link to other processes. */
  async close(): Promise<void> {
    await this.pubsub?.close();
  }

  private drop(ws: WebSocket, topic: string): void {
    const members = this.subscribers.get(topic);
    if (members === undefined) return;
    members.delete(ws);
    if (members.size === 0) {
      this.subscribers.delete(topic);
      this.pubsub?.unsubscribe(topic);
    }
  }
}

function ignore(): void {}

/** A topic is a non-empty string of at most MAX_TOPIC_LENGTH UTF-8 bytes. */
export function checkTopic(topic: unknown): asserts topic is string {
  if (typeof topic !== 'string' || topic.length === 0) throw new TypeError(`a topic must be a non-empty string, not ${topic === '' ? '""' : typeof topic}`);
  const bytes = Buffer.from(topic, 'utf8');
  if (bytes.length > MAX_TOPIC_LENGTH) throw new RangeError(`a topic may be at most ${MAX_TOPIC_LENGTH} bytes long`);
  // A lone surrogate would become U+FFFD on the way to another process, merging two topics into one.
  if (bytes.toString('utf8') !== topic) throw new TypeError('a topic must be valid Unicode (no lone surrogates)');
}
