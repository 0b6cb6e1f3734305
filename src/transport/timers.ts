/**
 * Node's `setTimeout` fires after 1 ms when asked for more than 2^31−1 ms
 * (about 24.8 days), so a `receive(2_200_000_000)` or a month-long close
 * timeout would fire at once. `setTimer` waits the whole time for any finite
 * delay: one plain `setTimeout` below the limit (nothing more allocated on
 * the common path), a timer re-armed in steps above it.
 */
export const MAX_TIMER_DELAY = 2 ** 31 - 1;

/** A delay too long for one `setTimeout`: re-armed in steps until it has all passed. */
class LongTimer {
  private timer: NodeJS.Timeout;
  private left: number;

  constructor(private readonly callback: () => void, delay: number, private readonly unref: boolean) {
    this.left = delay;
    this.timer = this.arm();
  }

  private arm(): NodeJS.Timeout {
    const step = Math.min(this.left, MAX_TIMER_DELAY);
    this.left -= step;
    const timer = setTimeout(() => {
      if (this.left > 0) this.timer = this.arm();
      else this.callback();
    }, step);
    if (this.unref) timer.unref();
    return timer;
  }

  cancel(): void {
    clearTimeout(this.timer);
  }
}

export type Timer = NodeJS.Timeout | LongTimer;

/**
 * Calls `callback` once `delay` ms have passed, for any finite delay ≥ 0.
 * `unref: true` lets the process exit while only this timer is pending.
 */
export function setTimer(callback: () => void, delay: number, options?: { unref?: boolean }): Timer {
  const unref = options?.unref === true;
  if (delay > MAX_TIMER_DELAY) return new LongTimer(callback, delay, unref);
  const timer = setTimeout(callback, delay);
  if (unref) timer.unref();
  return timer;
}

export function clearTimer(timer: Timer | null): void {
  if (timer === null) return;
  if (timer instanceof LongTimer) timer.cancel();
  else clearTimeout(timer);
}
