/**
 * The bytes one IPC channel holds that its reader has not taken yet.
 *
 * `process.send()` and `worker.send()` never refuse: when the other process
 * does not read (its event loop blocked, or it is just slow), Node keeps every
 * message in memory. A relay of publishes must not grow without bound behind
 * one stuck process, so each channel counts what it has handed to Node and
 * not yet seen written, and past its high-water mark a publish is skipped for
 * that channel — as a subscriber over its `sendHighWaterMark` misses one —
 * counted and reported once per episode (until the channel has drained).
 */
export interface IpcBacklogOptions {
  /** Bytes of payload that may wait in the channel; Infinity: no limit. */
  highWaterMark: number;
  /** Told once when the channel starts skipping, with how much waits. */
  onOverflow?: (pendingBytes: number) => void;
}

/** Sends a message; calls `written` once Node has handed it to the operating system (or failed to). */
export type IpcSend = (message: unknown, written: (error: Error | null) => void) => void;

export class IpcBacklog {
  /** Payload bytes sent and not yet written. */
  pendingBytes = 0;
  /** Messages skipped because the channel was full. */
  skipped = 0;
  private overflowing = false;

  constructor(private readonly send: IpcSend, private readonly options: IpcBacklogOptions) {}

  /** Sends `message` (whose payload is `bytes` long) unless the channel is full; false when skipped. */
  offer(message: unknown, bytes: number): boolean {
    // One message always goes through an empty channel, however large: the limit bounds the backlog, not a message.
    if (this.pendingBytes > 0 && this.pendingBytes + bytes > this.options.highWaterMark) {
      this.skipped++;
      if (!this.overflowing) {
        this.overflowing = true;
        this.options.onOverflow?.(this.pendingBytes);
      }
      return false;
    }
    this.pendingBytes += bytes;
    this.send(message, () => {
      this.pendingBytes -= bytes;
      if (this.pendingBytes === 0) this.overflowing = false;
    });
    return true;
  }
}
