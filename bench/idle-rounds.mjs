#!/usr/bin/env node
// node bench/idle-rounds.mjs [--rounds N] [--counts 2000,10000] [--only ours,ws]
// The idle-memory rows of `npm run bench` (bench/run.mjs: bench/server.mjs,
// clients from bench/connections.mjs in another process, 300 ms settle,
// memory after a full GC), repeated: implementations alternate within each
// round so that a noisy machine hits both alike; prints the median and the
// spread (min–max) of each. Needs `ulimit -n` above the largest count + 100.
import { idlePerConnection } from './idle-measure.mjs';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import os from 'node:os';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const arg = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const rounds = Number(arg('--rounds', '5'));
const counts = arg('--counts', '2000,10000').split(',').map(Number);
const impls = arg('--only', 'ours,ws').split(',');

async function memory(impl, count) {
  const child = spawn(process.execPath, ['--expose-gc', join(here, 'server.mjs'), impl], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const port = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', (line) => resolve(Number(line.split(' ')[1])));
    child.once('exit', (code) => reject(new Error(`${impl} server exited ${code}`)));
  });
  try {
    return await idlePerConnection(child, `ws://127.0.0.1:${port}/`, impl, count);
  } finally {
    child.kill();
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
console.log(`idle memory per connection, ${rounds} rounds, ${new Date().toISOString()}, Node ${process.version}, load before ${load()}`);
const samples = new Map();
for (let round = 0; round < rounds; round++) {
  for (const count of counts) {
    for (const impl of impls) {
      const m = await memory(impl, count);
      const key = `${impl}|${count}`;
      if (!samples.has(key)) samples.set(key, []);
      samples.get(key).push(m);
    }
  }
}
console.log(`load after ${load()}`);
console.log('| server | connections | RSS KiB, median (min–max) | heap+external KiB, median (min–max) |');
console.log('|---|---:|---:|---:|');
for (const count of counts) {
  for (const impl of impls) {
    const ms = samples.get(`${impl}|${count}`);
    const fmt = (key) => {
      const xs = ms.map((m) => m[key]);
      return `${median(xs).toFixed(2)} (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`;
    };
    console.log(`| ${impl} | ${count.toLocaleString('en')} | ${fmt('rss')} | ${fmt('heap')} |`);
  }
}
