import type { Request } from './messages.js';

/**
 * What a sync connection needs of the engine worker: the calling thread's
 * end of the link (SyncWorker implements it; unit tests use a fake). The
 * connections depend on this, not on SyncWorker, which makes them.
 */
export interface WorkerLink {
  /** Sends a request to the worker. */
  post(request: Request, transfer?: ArrayBuffer[]): void;
  /** Applies every event the worker has posted, without blocking (they reach the connections' onEvent). */
  drain(): void;
  /** Takes events until `done()` holds (true) or the deadline (performance.now() time) passes (false); throws WorkerDiedError if the worker dies. */
  wait(done: () => boolean, deadline: number): boolean;
  /** Throws WorkerDiedError if the worker has died. */
  throwIfDead(): void;
  /** Closes a worker-run connection; returns once it is closed. */
  close(conn: number, code: number | undefined, reason: string | undefined): void;
}
