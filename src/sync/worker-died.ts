/** Thrown by every call once the worker thread is gone (a bug, out of memory, process.exit() in it). */
export class WorkerDiedError extends Error {
  override name = 'WorkerDiedError';
  readonly code = 'WS_ERR_WORKER_DIED';
  constructor(why: string) {
    super(`the websocket worker thread died: ${why}`);
  }
}
