/**
 * The link from one process's topics to the other processes publishing to
 * the same topics: node:cluster workers through their primary, or any
 * process on any host through Redis.
 */

/** Hands a message from another process to this process's subscribers of `topic`. */
export type Deliver = (topic: string, data: Uint8Array, binary: boolean) => void;

export interface PubSub {
  /** Sends a message published here to the other processes (never back to this one). */
  publish(topic: string, data: Uint8Array, binary: boolean): void;
  /** This process now has a subscriber of `topic` (its first). */
  subscribe(topic: string): void;
  /** This process's last subscriber of `topic` has left. */
  unsubscribe(topic: string): void;
  /** Disconnects; nothing is delivered afterwards. */
  close(): Promise<void>;
}

/** Makes a PubSub that delivers what other processes publish through `deliver`. */
export type PubSubFactory = (deliver: Deliver) => PubSub;

/** A failure of the link to other processes, reported through `onError`; never thrown into a handler. */
export class PubSubError extends Error {
  override name = 'PubSubError';
  constructor(
    /** WS_ERR_PUBSUB_DOWN (connection lost or refused), WS_ERR_PUBSUB_REFUSED (an error reply, e.g. a wrong password), WS_ERR_PUBSUB_DROPPED (queue full). */
    readonly code: 'WS_ERR_PUBSUB_DOWN' | 'WS_ERR_PUBSUB_REFUSED' | 'WS_ERR_PUBSUB_DROPPED' | 'WS_ERR_PUBSUB_PROTOCOL',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
