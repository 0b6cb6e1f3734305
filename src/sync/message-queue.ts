import { messageCost } from './messages.js';

/**
 * The messages a sync connection holds for its caller, oldest first: text
 * as strings, binary as bytes. Taking one is O(1); the array is trimmed
 * once half of it is taken, so a queue that never quite empties does not
 * grow a hole per message read.
 */
export class MessageQueue {
  private items: Array<string | Uint8Array> = [];
  private head = 0;
  /** What the messages held cost against the receive window: their bytes (string lengths for text) plus a fixed cost each (messageCost), so empty ones count too. */
  bytes = 0;

  get isEmpty(): boolean {
    return this.head === this.items.length;
  }

  push(data: string | Uint8Array): void {
    this.items.push(data);
    this.bytes += messageCost(data);
  }

  /** The oldest message; the caller checks `isEmpty` first. */
  take(): string | Uint8Array {
    const data = this.items[this.head];
    this.items[this.head++] = '';
    this.bytes -= messageCost(data);
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    return data;
  }
}
