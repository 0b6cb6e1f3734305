/**
 * Where the sync API's two threads start. From the package's module tree
 * each has a file of its own; the one-file build (vendor/) has only itself,
 * so it names itself here at load, and each thread learns from `THREAD_ROLE`
 * in its workerData which of the two it is.
 */
export type ThreadRole = 'supervisor' | 'engine';

/** The workerData key that names a thread's role; specific enough not to meet a user's own. */
export const THREAD_ROLE = 'scriptlingWebSocketThread';

const OWN_FILES: Record<ThreadRole, string> = { supervisor: './supervisor.js', engine: './worker.js' };

let singleFile: URL | null = null;

/** Called by the one-file build: both threads start from that file. */
export function runThreadsFrom(file: URL): void {
  singleFile = file;
}

export function threadEntry(role: ThreadRole): URL {
  return singleFile ?? new URL(OWN_FILES[role], import.meta.url);
}
