/**
 * The close deadline: from the moment a close begins (ours, or the peer's
 * Close or end of stream), the closing handshake and the end of TCP get
 * `timeout` ms in all (Infinity: no limit); later starts keep the first.
 */
export class CloseDeadline {
  private at = Infinity;
  private started = false;

  constructor(private readonly timeout: number) {}

  /** Starts the clock at `now`, unless it is already running. */
  start(now: number): void {
    if (this.started) return;
    this.started = true;
    this.at = now + this.timeout;
  }

  get isStarted(): boolean {
    return this.started;
  }

  /** The performance.now() time it passes (Infinity: not started, or no limit). */
  get deadline(): number {
    return this.at;
  }

  /** Ms left at `now` (0 once passed; Infinity when not started or without limit). */
  remaining(now: number): number {
    return Math.max(this.at - now, 0);
  }
}
