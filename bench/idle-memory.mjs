#!/usr/bin/env node
// node bench/idle-memory.mjs [--connections N]   (default 10,000)
// Server memory per idle connection, for the engine (handler waiting in
// receive()) and the binding (the seed's handler waiting in receive(None)).
// Each side gets its own process; the clients (bench/connections.mjs, our
// engine, permessage-deflate negotiated as browsers do) run in another.
// Needs about N + 100 file descriptors per process: run `ulimit -n 20000`
// first if `ulimit -n` is lower.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { startProbeServer } from './processes.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const count = Number(args.includes('--connections') ? args[args.indexOf('--connections') + 1] : 10_000);

async function perConnection(impl) {
  const server = await startProbeServer({ impl, handler: 'idle', maxConnections: count + 100 });
  try {
    const before = await server.ask('mem');
    const clients = spawn(process.execPath, [join(here, 'connections.mjs'), 'ours', server.url, String(count), '--deflate'], { stdio: ['pipe', 'pipe', 'inherit'] });
    await new Promise((resolve, reject) => {
      createInterface({ input: clients.stdout }).once('line', resolve);
      clients.once('exit', (code) => reject(new Error(`connections.mjs exited with ${code}`)));
    });
    // Every handler must be waiting in receive() before memory counts.
    while ((await server.ask('sample')).handlers < count) await new Promise((r) => setImmediate(r));
    const after = await server.ask('mem');
    clients.stdin.end();
    clients.kill();
    const kib = (key) => (after[key] - before[key]) / count / 1024;
    return { rss: kib('rss'), heap: kib('heapUsed'), external: kib('external') };
  } finally {
    server.stop();
  }
}

console.log(`${count.toLocaleString('en')} idle connections, server process memory per connection (after a full GC), ${new Date().toISOString()}`);
console.log('| server | RSS KiB | heap KiB | external KiB |');
console.log('|---|---:|---:|---:|');
for (const impl of ['engine', 'binding']) {
  const m = await perConnection(impl);
  console.log(`| ${impl === 'engine' ? 'engine, handler in receive()' : 'binding, handler in receive(None)'} | ${m.rss.toFixed(2)} | ${m.heap.toFixed(2)} | ${m.external.toFixed(2)} |`);
}
