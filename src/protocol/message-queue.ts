import { messageCost } from './message-cost.js';
import type { TextBytes } from './text-bytes.js';

/** Past this many taken slots, a queue that never quite empties is compacted. */
const COMPACT_AFTER = 1024;

/**
 * Received messages waiting for their reader, oldest first, with what they
 * cost against a byte limit: the one place a message is counted in and out,
 * for the engine's queue (transport/inbound-queue.ts) and the sync API's
 * (its binary messages cost more: `cost`). Taking one is O(1); the array is
 * trimmed once half of it is taken, so a queue that never quite empties does
 * not grow a hole per message read. Its array exists only while it holds
 * messages: idle connections are the common case on a server.
 */
export class MessageQueue<T extends string | Uint8Array | TextBytes> {
  private items: T[] | null = null;
  private head = 0;
  private held = 0;

  constructor(private readonly cost: (message: T) => number = messageCost) {}

  /** What the messages held cost: their lengths (UTF-16 units for text) plus each one's own cost. */
  get bytes(): number {
    return this.held;
  }

  get isEmpty(): boolean {
    return this.items === null;
  }

  push(message: T): void {
    (this.items ??= []).push(message);
    this.held += this.cost(message);
  }

  /** The oldest message; the caller checks `isEmpty` first. */
  take(): T {
    const items = this.items!;
    const message = items[this.head];
    items[this.head++] = undefined as unknown as T; // not kept alive by the slot
    if (this.head === items.length) {
      this.items = null;
      this.head = 0;
    } else if (this.head >= COMPACT_AFTER && this.head * 2 >= items.length) {
      items.splice(0, this.head);
      this.head = 0;
    }
    this.held -= this.cost(message);
    return message;
  }
}
