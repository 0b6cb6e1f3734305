// A script that never calls close(): it must still exit by itself, and what
// it sent last must still go out.
//   node forgetful-client.mjs URL [ENGINE_FILE]
// With ENGINE_FILE (test/sync/misbehaving-engine.mjs) the worker is kept
// busy for a moment first, so the last message is still queued at exit
// (its sockets run by the worker, where sends queue).
import * as ws from 'scriptling-websocket/sync';

const [url, engineFile] = process.argv.slice(2);
const worker = engineFile ? new ws.SyncWorker({ engineFile: new URL(engineFile, import.meta.url), socketThread: 'worker' }) : null;
const conn = worker ? worker.connect(url, 5) : ws.connect(url, 5);
console.log(conn.receive(5));
if (worker) conn.send('block 300');
conn.send('sent just before the end');
