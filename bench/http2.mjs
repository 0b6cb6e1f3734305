#!/usr/bin/env node
// WebSockets over HTTP/2 (RFC 8441) against HTTP/1.1, both over TLS on
// 127.0.0.1, client and server in separate processes:
//   - 64 B ping-pong on one WebSocket: round trips per second and median round trip;
//   - N WebSockets (default 1,000) over one HTTP/2 session against N HTTP/1.1
//     connections: time to open them all, and the memory each side holds for them
//     (heap and RSS after a full GC, per WebSocket).
// node --expose-gc bench/http2.mjs [--quick] [--connections N]   (after npm run build)
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { connect } from '../dist/src/transport/client.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const N = args.includes('--connections') ? Number(args[args.indexOf('--connections') + 1]) : quick ? 100 : 1000;
const PINGS = quick ? 1000 : 20000;

const dir = mkdtempSync(join(tmpdir(), 'sws-bench-h2-'));
execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'key.pem'),
  '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
const ca = readFileSync(join(dir, 'cert.pem'));

async function startServer(mode) {
  const child = spawn(process.execPath, ['--expose-gc', join(here, 'http2-server.mjs'), join(dir, 'key.pem'), join(dir, 'cert.pem'), mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = await createInterface({ input: child.stdout })[Symbol.asyncIterator]().next().then((r) => [r.value]);
  return { port: Number(line), stop: () => new Promise((resolve) => { child.once('exit', resolve); child.kill(); }) };
}

const optionsFor = (mode) => ({ ca, http2: mode === 'http2', perMessageDeflate: false, pingInterval: 0 });

async function serverMemory(port, mode) {
  const ws = await connect(`wss://localhost:${port}/memory`, optionsFor(mode));
  const report = JSON.parse(await ws.receive(10_000));
  await ws.close();
  return report;
}

function clientMemory() {
  globalThis.gc?.();
  globalThis.gc?.();
  const { heapUsed, rss } = process.memoryUsage();
  return { heapUsed, rss };
}

async function pingPong(mode) {
  const server = await startServer(mode);
  try {
    const ws = await connect(`wss://localhost:${server.port}/echo`, optionsFor(mode));
    const payload = Buffer.alloc(64, 1);
    for (let i = 0; i < 500; i++) { await ws.send(payload); await ws.receive(); } // warm-up
    const times = [];
    const started = performance.now();
    for (let i = 0; i < PINGS; i++) {
      const t = performance.now();
      await ws.send(payload);
      await ws.receive();
      times.push(performance.now() - t);
    }
    const elapsed = performance.now() - started;
    await ws.close();
    times.sort((a, b) => a - b);
    return { mode, roundTrips: PINGS, perSecond: Math.round(PINGS / (elapsed / 1000)), medianMicros: Math.round(times[times.length >> 1] * 1000) };
  } finally {
    await server.stop();
  }
}

async function many(mode) {
  const server = await startServer(mode);
  try {
    // One WebSocket first, so HTTP/2's session (and both sides' lazy setup) exists before the baseline.
    const first = await connect(`wss://localhost:${server.port}/echo`, optionsFor(mode));
    const serverBefore = await serverMemory(server.port, mode);
    const clientBefore = clientMemory();
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const sockets = [];
    for (let i = 0; i < N - 1; i += 100) {
      const batch = Math.min(100, N - 1 - i);
      sockets.push(...await Promise.all(Array.from({ length: batch }, () => connect(`wss://localhost:${server.port}/echo`, optionsFor(mode)))));
    }
    const openMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    const serverAfter = await serverMemory(server.port, mode);
    const clientAfter = clientMemory();
    // Every one still works.
    await Promise.all(sockets.map(async (ws) => { await ws.send('x'); if ((await ws.receive(30_000)) !== 'x') throw new Error('lost an echo'); }));
    await Promise.all([first, ...sockets].map((ws) => ws.close()));
    const per = (after, before, key) => Math.round((after[key] - before[key]) / (N - 1));
    return {
      mode, webSockets: N, openMs: Math.round(openMs), perHandshakeMs: +(openMs / (N - 1)).toFixed(3),
      // CPU per WebSocket opened: ours as the client, the server's from its own count (which includes one /memory request).
      clientCpuMsPerWs: +((cpu.user + cpu.system) / 1000 / (N - 1)).toFixed(3),
      serverCpuMsPerWs: +((serverAfter.cpuMicros - serverBefore.cpuMicros) / 1000 / (N - 1)).toFixed(3),
      serverHeapPerWs: per(serverAfter, serverBefore, 'heapUsed'), serverRssPerWs: per(serverAfter, serverBefore, 'rss'),
      clientHeapPerWs: per(clientAfter, clientBefore, 'heapUsed'), clientRssPerWs: per(clientAfter, clientBefore, 'rss'),
    };
  } finally {
    await server.stop();
  }
}

const results = { date: new Date().toISOString(), node: process.version, pingPong: [], many: [] };
for (const mode of ['http1', 'http2']) results.pingPong.push(await pingPong(mode));
for (const mode of ['http1', 'http2']) results.many.push(await many(mode));
const label = (mode) => (mode === 'http2' ? 'HTTP/2 (one session)' : 'HTTP/1.1 (a connection each)');
console.log(`64 B ping-pong, one WebSocket, ${PINGS} round trips (TLS):`);
for (const r of results.pingPong) console.log(`  ${label(r.mode).padEnd(30)} ${String(r.perSecond).padStart(7)} round trips/s   median ${r.medianMicros} µs`);
console.log(`${N} WebSockets to one server (TLS), opened 100 at a time; CPU per WebSocket opened, and memory after a full GC per WebSocket:`);
console.log(`  ${''.padEnd(30)} ${'open all'.padStart(9)} ${'per WS'.padStart(8)} ${'cli CPU'.padStart(8)} ${'srv CPU'.padStart(8)} ${'srv heap'.padStart(9)} ${'srv RSS'.padStart(9)} ${'cli heap'.padStart(9)} ${'cli RSS'.padStart(9)}`);
const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
for (const r of results.many) {
  console.log(`  ${label(r.mode).padEnd(30)} ${`${r.openMs} ms`.padStart(9)} ${`${r.perHandshakeMs} ms`.padStart(8)} ${`${r.clientCpuMsPerWs} ms`.padStart(8)} ${`${r.serverCpuMsPerWs} ms`.padStart(8)} ${kib(r.serverHeapPerWs).padStart(9)} ${kib(r.serverRssPerWs).padStart(9)} ${kib(r.clientHeapPerWs).padStart(9)} ${kib(r.clientRssPerWs).padStart(9)}`);
}
if (args.includes('--json')) console.log(JSON.stringify(results));
