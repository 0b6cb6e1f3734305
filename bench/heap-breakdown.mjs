#!/usr/bin/env node
// node bench/heap-breakdown.mjs IMPL [N]   (IMPL: ours | ws | binding; N default 2,000)
// What one idle server connection holds on the heap, by kind of object: the
// server of `npm run bench` (bench/server.mjs) writes a heap snapshot, N
// idle clients (bench/connections.mjs) connect, it writes another; the
// self sizes of the objects in each snapshot are summed per constructor (or
// per V8 node type: strings, closures, code…) and the difference is divided
// by N. Rows of at least 16 bytes per connection are printed, largest first.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { readFileSync, unlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const impl = process.argv[2] ?? 'ours';
const count = Number(process.argv[3] ?? 2000);

/** Bytes per category in one snapshot file. */
function tally(file) {
  const snapshot = JSON.parse(readFileSync(file, 'utf8'));
  const { node_fields: fields, node_types: [types] } = snapshot.snapshot.meta;
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const { nodes, strings } = snapshot;
  const sums = new Map();
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + typeAt]];
    const name = strings[nodes[i + nameAt]];
    // Objects by constructor; strings, closures, arrays and V8's own by node type (their names are contents).
    const key = type === 'object' ? name : type === 'closure' ? `closure ${name || '(anonymous)'}` : type === 'hidden' || type === 'code' ? `(${type}) ${name.split(' ')[0]}` : `(${type})`;
    sums.set(key, (sums.get(key) ?? 0) + nodes[i + sizeAt]);
  }
  return sums;
}

const child = spawn(process.execPath, ['--expose-gc', join(here, 'server.mjs'), impl], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
const port = await new Promise((resolve) => createInterface({ input: child.stdout }).once('line', (line) => resolve(Number(line.split(' ')[1]))));
const snapshot = () => new Promise((resolve) => {
  child.once('message', (answer) => resolve(answer.file));
  child.send('snapshot');
});
try {
  const before = await snapshot();
  const clients = spawn(process.execPath, [join(here, 'connections.mjs'), impl, `ws://127.0.0.1:${port}/`, String(count)], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise((resolve) => createInterface({ input: clients.stdout }).once('line', resolve));
  await new Promise((r) => setTimeout(r, 300));
  const after = await snapshot();
  clients.stdin.end();
  clients.kill();
  const a = tally(before);
  const b = tally(after);
  unlinkSync(before);
  unlinkSync(after);
  const rows = [...new Set([...a.keys(), ...b.keys()])]
    .map((key) => [key, ((b.get(key) ?? 0) - (a.get(key) ?? 0)) / count])
    .sort((x, y) => y[1] - x[1]);
  const total = rows.reduce((sum, [, bytes]) => sum + bytes, 0);
  console.log(`${impl}: ${count.toLocaleString('en')} idle connections, heap snapshot bytes per connection (self sizes), ${new Date().toISOString()}`);
  console.log('| object | bytes per connection |');
  console.log('|---|---:|');
  for (const [key, bytes] of rows) if (bytes >= 16) console.log(`| ${key} | ${bytes.toFixed(0)} |`);
  console.log(`| **total** | **${total.toFixed(0)}** (${(total / 1024).toFixed(2)} KiB) |`);
} finally {
  child.kill();
}
