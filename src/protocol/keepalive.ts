/**
 * The keepalive policy, once for both I/O loops (the engine's timer in
 * transport/websocket.ts and the sync API's caller-run loop): times in
 * (ms, `performance.now()` values), decisions out. It sends no frame and
 * sets no timer itself.
 *
 * A Ping goes out `interval` after the connection opened or our last Ping
 * was answered. If its Pong has not come within `timeout`, a peer that sent
 * us bytes meanwhile is alive (a long message delays its Pong: §5.4 lets
 * control frames in only between fragments), and while our reading is
 * paused the Pong may sit unread: both get another `timeout`. Otherwise the
 * peer is gone: fail the connection with 1011.
 */
export type KeepaliveDecision =
  /** Send a keepalive Ping now (then call `pingSent`). */
  | { action: 'ping' }
  /** Fail the connection: no Pong and no sign of life within the timeout. */
  | { action: 'fail' }
  /** Nothing to do before `at` (Infinity: nothing ever, until something is reported). */
  | { action: 'wait'; at: number };

/** Keepalive times in ms; Infinity turns a part off (no Pings; or waiting forever for the Pong). */
export interface KeepaliveTimes {
  interval: number;
  timeout: number;
}

/** The reason in the Close frame (and the error's message) when keepalive fails a connection. */
export const KEEPALIVE_TIMEOUT_REASON = 'keepalive ping timeout';

export class Keepalive {
  /** When the current wait began: the open or the last answer (no Ping out), or the Ping (or its last extension). */
  private since: number;
  private pingOut = false;
  /** Bytes arrived since the Ping went out (or its last extension). */
  private heardSince = false;
  private stopped = false;
  // The times as fields of this object, not a reference to the caller's: one object less per connection.
  private readonly interval: number;
  private readonly timeout: number;

  constructor(times: KeepaliveTimes, now: number) {
    this.interval = times.interval;
    this.timeout = times.timeout;
    this.since = now;
  }

  /** What to do at `now`; `readingPaused`: our reading is paused (flow control), so a Pong may be unread. */
  check(now: number, readingPaused = false): KeepaliveDecision {
    if (this.stopped || !(this.interval < Infinity)) return WAIT_FOREVER;
    if (!this.pingOut) {
      const at = this.since + this.interval;
      return now >= at ? PING : { action: 'wait', at };
    }
    if (!(this.timeout < Infinity)) return WAIT_FOREVER;
    const at = this.since + this.timeout;
    if (now < at) return { action: 'wait', at };
    if (this.heardSince || readingPaused) {
      this.heardSince = false;
      this.since = now;
      return { action: 'wait', at: now + this.timeout };
    }
    this.stopped = true;
    return FAIL;
  }

  /** The Ping asked for went out at `now`. */
  pingSent(now: number): void {
    this.pingOut = true;
    this.heardSince = false;
    this.since = now;
  }

  /** Bytes arrived from the peer. */
  heard(): void {
    this.heardSince = true;
  }

  /** Our keepalive Ping was answered at `now`: the next one is due `interval` later. */
  answered(now: number): void {
    this.pingOut = false;
    this.since = now;
  }

  /** The connection is closing or closed: no more Pings, no failure. */
  stop(): void {
    this.stopped = true;
  }
}

const PING: KeepaliveDecision = { action: 'ping' };
const FAIL: KeepaliveDecision = { action: 'fail' };
const WAIT_FOREVER: KeepaliveDecision = { action: 'wait', at: Infinity };
