// esbuild's entry for the one-file build (npm run vendor → vendor/scriptling-websocket.mjs and .cjs).
// The file is the library (src/all.ts), the CLI when it is the script a runtime was started with, and
// either thread of the sync API when one of those starts from it (src/sync/thread-entries.ts).
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isMainThread, workerData } from 'node:worker_threads';
import { THREAD_ROLE, runThreadsFrom } from '../src/sync/thread-entries.ts';
import { embedPackageFiles } from '../src/cli/paths.ts';
import { version } from '../package.json';
import page from '../examples/index.html';
import * as handlers from '../examples/handlers.mjs';

export * from '../src/all.ts';

const self = new URL(import.meta.url);
runThreadsFrom(self);
embedPackageFiles({ version, examples: { page, handlers } });

function startedDirectly() {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(self));
  } catch {
    return false;
  }
}

const role = isMainThread ? undefined : workerData?.[THREAD_ROLE];
// Loaded on demand: a thread runs its module's top level, an importer of the library runs neither.
if (role === 'supervisor') import('../src/sync/supervisor.ts');
else if (role === 'engine') import('../src/sync/worker.ts');
else if (isMainThread && startedDirectly()) {
  import('../src/cli/main.ts')
    .then(({ main }) => main(process.argv.slice(2)))
    // Servers and clients have stopped by now; stdin may still hold the loop open.
    .then((status) => process.exit(status));
}
