/**
 * What a node:cluster primary and its workers tell each other over IPC
 * (serialization 'advanced', so bytes travel as bytes). Every message is
 * tagged, so a user's own IPC messages pass untouched.
 */
export const TAG = 'scriptlingWs';

/** The environment variable that makes a worker one of ours (set by the primary when it forks). */
export const WORKER_ENV = 'SCRIPTLING_WS_WORKER';

export type ClusterMessage =
  /** worker → primary: a publish on that worker, for the other workers. primary → worker: publish it as your own (to Redis too). */
  | { [TAG]: 'publish'; topic: string; data: Uint8Array; binary: boolean }
  /** primary → worker: a publish from another worker or the primary, for this worker's subscribers. */
  | { [TAG]: 'deliver'; topic: string; data: Uint8Array; binary: boolean }
  /** primary → worker: close your server (1001 to every client), then exit. */
  | { [TAG]: 'close' };

export function isClusterMessage(message: unknown): message is ClusterMessage {
  return typeof message === 'object' && message !== null && typeof (message as Record<string, unknown>)[TAG] === 'string';
}

/** IPC turns a Buffer into a plain Uint8Array; a view over the same memory, no copy. */
export const asBuffer = (data: Uint8Array): Buffer => Buffer.from(data.buffer, data.byteOffset, data.byteLength);
