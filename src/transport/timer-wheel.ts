/**
 * One timer for many deadlines that need not be exact (keepalive): a
 * deadline is rounded up to the next multiple of the wheel's granularity,
 * every deadline of a slot is due together, and one unref'd `setTimeout`
 * waits for the earliest slot. An idle server with 10,000 connections then
 * holds one timer instead of 10,000 (each a Timeout, a closure and a place
 * in Node's timer lists), and wakes at most once per slot.
 *
 * The wheel holds its entries themselves, no closure per entry: an entry is
 * an object with a method under the `WHEEL_DUE` symbol (a symbol, so that
 * the method is no part of the entry's public API), in a Set per slot.
 */

export const WHEEL_DUE: unique symbol = Symbol('wheel due');

/** Something the wheel calls when its deadline has come. */
export interface WheelEntry {
  /** Called once, at or after the deadline; the entry is no longer scheduled then. Must not throw. */
  [WHEEL_DUE](now: number): void;
}

/** Where an entry is scheduled: what `cancel` needs back. */
export type WheelSlot = number;

export class TimerWheel {
  /** Entries by slot (the slot's time, a multiple of the granularity). */
  private readonly slots = new Map<WheelSlot, Set<WheelEntry>>();
  /** Slot times, a binary min-heap; a slot emptied by `cancel` stays until its time and is skipped then. */
  private readonly heap: WheelSlot[] = [];
  private timer: NodeJS.Timeout | null = null;
  private armedFor: WheelSlot = 0;
  private ticking = false;

  private readonly unref: boolean;

  /**
   * `granularity`: ms per slot, the most a deadline is rounded up by.
   * Deadlines are `performance.now()` times. `unref` (default true): the
   * wheel's timer keeps no process alive.
   */
  constructor(readonly granularity: number, options: { unref?: boolean } = {}) {
    this.unref = options.unref ?? true;
    if (!(granularity >= 1 && Number.isFinite(granularity))) throw new RangeError(`granularity must be a number of ms ≥ 1, not ${granularity}`);
  }

  /** Entries scheduled (for tests and diagnostics). */
  get size(): number {
    let size = 0;
    for (const entries of this.slots.values()) size += entries.size;
    return size;
  }

  /**
   * Calls `entry[WHEEL_DUE]` at or after `at` (finite, in the clock's ms),
   * at most one granularity after it (plus the event loop's own delay).
   * `step`, if smaller than the granularity, rounds this deadline to a finer
   * slot (a connection with a 20 ms ping interval should not wait 250 ms).
   * Returns the slot, which `cancel` takes.
   */
  schedule(entry: WheelEntry, at: number, step: number = this.granularity): WheelSlot {
    const size = Math.max(1, Math.min(step, this.granularity));
    const slot = Math.ceil(at / size) * size;
    let entries = this.slots.get(slot);
    if (entries === undefined) {
      entries = new Set();
      this.slots.set(slot, entries);
      heapPush(this.heap, slot);
    }
    entries.add(entry);
    if (!this.ticking && (this.timer === null || slot < this.armedFor)) this.arm(slot);
    return slot;
  }

  /** Forgets the entry scheduled at `slot`; nothing if it is not there (already due, or cancelled). */
  cancel(entry: WheelEntry, slot: WheelSlot): void {
    const entries = this.slots.get(slot);
    if (entries === undefined || !entries.delete(entry)) return;
    if (entries.size === 0) this.slots.delete(slot);
    if (this.slots.size === 0 && this.timer !== null) {
      // Nothing left: no wake-up for nothing. (The heap's stale slots go with it.)
      clearTimeout(this.timer);
      this.timer = null;
      this.heap.length = 0;
    }
  }

  private arm(slot: WheelSlot): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.armedFor = slot;
    this.timer = setTimeout(this.tick, Math.max(1, Math.ceil(slot - performance.now())));
    if (this.unref) this.timer.unref();
  }

  private readonly tick = (): void => {
    this.timer = null;
    const now = performance.now();
    // Take every due slot first: entries scheduled by the callbacks go to later slots, never into this round.
    const due: Set<WheelEntry>[] = [];
    while (this.heap.length > 0 && this.heap[0] <= now) {
      const slot = heapPop(this.heap);
      const entries = this.slots.get(slot);
      if (entries === undefined) continue; // emptied by cancel, or a duplicate
      this.slots.delete(slot);
      due.push(entries);
    }
    this.ticking = true;
    try {
      for (const entries of due) for (const entry of entries) entry[WHEEL_DUE](now);
    } finally {
      this.ticking = false;
      while (this.heap.length > 0 && !this.slots.has(this.heap[0])) heapPop(this.heap);
      if (this.heap.length > 0) this.arm(this.heap[0]);
    }
  };
}

function heapPush(heap: number[], value: number): void {
  let i = heap.push(value) - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (heap[parent] <= value) break;
    heap[i] = heap[parent];
    i = parent;
  }
  heap[i] = value;
}

function heapPop(heap: number[]): number {
  const top = heap[0];
  const last = heap.pop()!;
  if (heap.length > 0) {
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const child = left + 1 < heap.length && heap[left + 1] < heap[left] ? left + 1 : left;
      if (heap[child] >= last) break;
      heap[i] = heap[child];
      i = child;
    }
    heap[i] = last;
  }
  return top;
}

/** Granularity of the process's keepalive wheel, in ms: keepalive checks run at most 4 times a second. */
export const KEEPALIVE_GRANULARITY = 250;

/** The one wheel every connection's keepalive shares; unref'd: keepalive alone keeps no process alive. */
export const keepaliveWheel = new TimerWheel(KEEPALIVE_GRANULARITY);
