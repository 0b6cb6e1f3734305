/**
 * scriptling-websocket/sync: the seed's client API with calls that block,
 * as in Scriptling, Python's websockets.sync.client and the Go reference.
 * One worker thread per calling thread (started on the first connect())
 * opens the connections; a ws:// one is then run by the calling thread
 * itself, a wss:// one by the worker (see SocketThread). The calling thread
 * sleeps in Atomics.wait while it waits, so its own event loop does not run
 * meanwhile. The server side stays asynchronous (scriptling-websocket's
 * runtime.http).
 */
import type { ScriptlingConnectOptions } from '../scriptling/index.js';
import { SyncConnection } from './connection.js';
import { SyncWorker, type SyncWorkerOptions } from './sync-worker.js';
import { WorkerDiedError } from './worker-died.js';
import type { SocketThread } from './messages.js';

export { SyncConnection, SyncWorker, WorkerDiedError, type SyncWorkerOptions, type ScriptlingConnectOptions, type SocketThread };
export { is_text, is_binary, ConnectError, type ReceivedMessage } from '../scriptling/index.js';
export { WebSocketError } from '../protocol/errors.js';

/** This thread's worker (module state is per thread); replaced if it died. */
let shared: SyncWorker | null = null;

/**
 * connect(url, timeout=10, headers={}) — or connect(url, { timeout, headers, ...tls }):
 * returns an open connection, or throws `Error: websocket connect failed: <why>`.
 */
export function connect(url: string | URL, timeout: number | null | ScriptlingConnectOptions = 10, headers: Record<string, string> = {}): SyncConnection {
  if (shared === null || shared.isDead()) shared = new SyncWorker();
  return shared.connect(url, timeout, headers);
}
