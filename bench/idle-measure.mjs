// The idle-memory measurement shared by bench/run.mjs and bench/idle-rounds.mjs:
// a server process (bench/server.mjs, started by the caller with --expose-gc and
// an IPC channel) is asked for its memory after a full GC before and after
// `count` clients from bench/connections.mjs (another process) have connected
// and 300 ms have passed; the difference per connection, in KiB.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const KiB = 1024;

/** `server` is the server's child process, `url` where it listens; `message`: each client sends one message first. */
export async function idlePerConnection(server, url, impl, count, { message = false } = {}) {
  const ask = () => new Promise((resolve) => {
    server.once('message', resolve);
    server.send('mem');
  });
  const before = await ask();
  const client = spawn(process.execPath, [join(here, 'connections.mjs'), impl, url, String(count), ...(message ? ['--message'] : [])], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    createInterface({ input: client.stdout }).once('line', resolve);
    client.once('exit', (code) => reject(new Error(`connections exited ${code}`)));
  });
  await new Promise((r) => setTimeout(r, 300));
  const after = await ask();
  client.stdin.end();
  client.kill();
  const per = (key) => (after[key] - before[key]) / count / KiB;
  return { rss: per('rss'), heap: per('heapUsed') + per('external') };
}
