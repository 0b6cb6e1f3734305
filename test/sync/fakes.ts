// What the sync wing's unit tests share: a WorkerLink played on the test's
// own thread, and a TCP socket pair on 127.0.0.1.
import { once } from 'node:events';
import { connect, type Server, type Socket } from 'node:net';
import type { Event, Request } from '../../src/sync/messages.js';
import type { WorkerLink } from '../../src/sync/worker-link.js';

/**
 * The worker's part, with no worker thread: requests are recorded, events
 * the test posts reach the connection at the next drain (or wait), and
 * `onWait` plays the worker while the caller blocks.
 */
export class FakeLink<C extends { onEvent(event: Event): void }> implements WorkerLink {
  readonly requests: Request[] = [];
  protected readonly pending: Event[] = [];
  conn: C | null = null;
  /** How many times the caller blocked. */
  waits = 0;
  /** What the worker does while the caller waits (once per wait); nothing by default. */
  onWait: (() => void) | null = null;

  postEvent(event: Event): void {
    this.pending.push(event);
  }

  post(request: Request): void {
    this.requests.push(request);
  }

  drain(): void {
    for (const event of this.pending.splice(0)) this.conn!.onEvent(event);
  }

  wait(done: () => boolean, deadline: number): boolean {
    this.waits++;
    this.onWait?.();
    for (;;) {
      this.drain();
      if (done()) return true;
      if (performance.now() >= deadline) return false;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }

  throwIfDead(): void {}

  close(_conn: number, _code: number | undefined, _reason: string | undefined): void {}
}

/** A connected pair through `server` (listening on 127.0.0.1): our end and the server's, errors swallowed (the tests reset them). */
export async function socketPair(server: Server): Promise<{ ours: Socket; theirs: Socket }> {
  const accepted = once(server, 'connection');
  const ours = connect((server.address() as { port: number }).port, '127.0.0.1');
  await once(ours, 'connect');
  const [theirs] = (await accepted) as [Socket];
  theirs.on('error', () => {});
  ours.on('error', () => {});
  return { ours, theirs };
}
