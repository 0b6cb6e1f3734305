#!/usr/bin/env node
// npm run soak [-- --messages N] [--clients C] [--impl engine|binding] [--snapshots]
// Pushes N messages (default 1,000,000) of mixed sizes and types through one
// echo server from C clients (default 100); the server runs in its own
// process and its heap and RSS are sampled every 500 ms. Prints start
// (after connecting and a warm-up, after a GC), peak (sampled, no GC) and
// end (after the last echo, clients still connected, after a GC).
// "Flat" means end heap ≤ start heap + 10%. Not part of CI. --snapshots
// writes a server heap snapshot at start and end (to compare in DevTools).
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { startProbeServer, mib } from './processes.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : fallback);
const total = Number(option('messages', 1_000_000));
const clientCount = Number(option('clients', 100));
const impl = option('impl', 'engine');
const WINDOW = 8;

// Mixed sizes: mostly small, some over the 1 KiB compression threshold, a few large; text JSON-like, binary random.
const pool = [];
for (const [count, min, max] of [[80, 16, 256], [18, 256, 4096], [2, 4096, 65536]]) {
  for (let i = 0; i < count; i++) {
    const size = min + Math.floor(Math.random() * (max - min));
    pool.push(i % 2 === 0
      ? JSON.stringify({ id: i, items: Array.from({ length: size }, (_, k) => k % 97) }).slice(0, size)
      : randomBytes(size));
  }
}

const { connect } = await import(join(here, '..', 'dist', 'src', 'index.js'));
const server = await startProbeServer({ impl, handler: 'echo' });
const clients = [];
for (let i = 0; i < clientCount; i += 20) {
  clients.push(...(await Promise.all(Array.from({ length: Math.min(20, clientCount - i) }, () => connect(server.url)))));
}

/** Sends `count` messages spread over the clients, WINDOW in flight per client; checks every echo. */
async function pump(count) {
  let next = 0;
  let bytes = 0;
  await Promise.all(clients.map(async (ws) => {
    const inFlight = [];
    const sendOne = () => {
      const message = pool[next++ % pool.length];
      bytes += message.length;
      inFlight.push(message);
      void ws.send(message);
    };
    while (next < count && inFlight.length < WINDOW) sendOne();
    while (inFlight.length > 0) {
      const echo = await ws.receive(60_000);
      const sent = inFlight.shift();
      if (echo === null || (typeof sent === 'string' ? echo !== sent : !sent.equals(echo))) throw new Error('an echo was lost or changed');
      if (next < count) sendOne();
    }
  }));
  return bytes;
}

await pump(10_000);
const snapshots = args.includes('--snapshots');
const start = await server.ask('mem');
if (snapshots) console.log(`start snapshot: ${(await server.ask('snapshot')).file}`);
const peak = { ...start };
const sampler = setInterval(async () => {
  const now = await server.ask('sample');
  peak.rss = Math.max(peak.rss, now.rss);
  peak.heapUsed = Math.max(peak.heapUsed, now.heapUsed);
  peak.external = Math.max(peak.external, now.external);
}, 500);
const began = performance.now();
const bytes = await pump(total);
const seconds = (performance.now() - began) / 1000;
clearInterval(sampler);
const end = await server.ask('mem');
if (snapshots) console.log(`end snapshot: ${(await server.ask('snapshot')).file}`);
await Promise.all(clients.map((ws) => ws.close()));
server.stop();

const flat = end.heapUsed <= start.heapUsed * 1.1;
console.log(`soak: ${total.toLocaleString('en')} messages (${mib(bytes)} MiB each way) through one ${impl} echo server from ${clientCount} clients in ${seconds.toFixed(1)} s (${Math.round(total / seconds).toLocaleString('en')} msg/s)`);
console.log('| server MiB | start | peak | end |');
console.log('|---|---:|---:|---:|');
console.log(`| heap used | ${mib(start.heapUsed)} | ${mib(peak.heapUsed)} | ${mib(end.heapUsed)} |`);
console.log(`| external | ${mib(start.external)} | ${mib(peak.external)} | ${mib(end.external)} |`);
console.log(`| RSS | ${mib(start.rss)} | ${mib(peak.rss)} | ${mib(end.rss)} |`);
console.log(`heap ${flat ? 'flat' : 'NOT flat'}: end ${mib(end.heapUsed)} MiB vs start ${mib(start.heapUsed)} MiB + 10%`);
process.exitCode = flat ? 0 : 1;
