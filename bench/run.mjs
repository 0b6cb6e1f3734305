#!/usr/bin/env node
// npm run bench [-- --quick] [-- --only ours,ws,...] [-- --no-throughput] [-- --no-memory] [-- --no-fanout] [-- --no-topics] [-- --no-http2]
// Each workload runs with client and server in separate processes: a warm-up
// round, then ROUNDS timed rounds; the table shows medians and the ratios to
// raw TCP and to ws measured in the same run. Results also go to bench/results/.
import { idlePerConnection } from './idle-measure.mjs';
import { spawn, execSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import os from 'node:os';
import { fanout, printFanout } from './fanout.mjs';
import { topicBench, printTopics } from './topics.mjs';
import { listFloor } from './list-floor.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyArg = args.includes('--only') ? args[args.indexOf('--only') + 1].split(',') : null;
const skipMemory = args.includes('--no-memory');
const skipThroughput = args.includes('--no-throughput');

// The peers come from bench/package.json, never from the library's dependencies.
const wanted = (impl) => !onlyArg || onlyArg.includes(impl);
const needsWs = ['ws', 'ws-noaddons'].some(wanted);
if (needsWs && !existsSync(join(here, 'node_modules', 'ws'))) {
  execSync('npm install --no-audit --no-fund', { cwd: here, stdio: 'inherit' });
}

const ROUNDS = quick ? 2 : 5;
const ROUND_MS = quick ? 150 : 600;
const KiB = 1024;
const MiB = 1024 * 1024;

/** [client, server] pairs; the first element names the row. */
const PAIRS = [
  ['raw', 'raw'],
  ['ours', 'ours'],
  ['binding', 'binding'],
  ['ws', 'ws'],
  ['ws-noaddons', 'ws-noaddons'],
  ['node', 'ours'],
  ['node', 'ws'],
  ['ours', 'ws'],
  ['ws', 'ours'],
  ['sync', 'binding'],
].filter(([c, s]) => wanted(c) && wanted(s));

const WORKLOADS = [];
for (const size of quick ? [64, 16 * KiB] : [64, 16 * KiB, MiB]) {
  for (const mode of ['pingpong', 'pipelined']) {
    for (const type of quick ? ['binary'] : ['text', 'binary']) {
      WORKLOADS.push({ size, mode, type, window: size <= 64 ? 1000 : size <= 16 * KiB ? 64 : 4 });
    }
  }
}
const DEFLATE_WORKLOADS = quick ? [] : [
  { size: KiB, mode: 'pipelined', type: 'text', window: 256, deflate: true, compressible: true },
  { size: 16 * KiB, mode: 'pingpong', type: 'text', window: 64, deflate: true, compressible: true },
  { size: 16 * KiB, mode: 'pipelined', type: 'text', window: 64, deflate: true, compressible: true },
];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function envFor(impl) {
  return impl === 'ws-noaddons' ? { ...process.env, WS_NO_BUFFER_UTIL: '1', WS_NO_UTF_8_VALIDATE: '1' } : process.env;
}

async function startServerProcess(impl, deflate) {
  const child = spawn(process.execPath, ['--expose-gc', join(here, 'server.mjs'), impl, ...(deflate ? ['--deflate'] : [])], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'], env: envFor(impl),
  });
  const lines = createInterface({ input: child.stdout });
  const port = await new Promise((resolve, reject) => {
    lines.once('line', (line) => resolve(Number(line.split(' ')[1])));
    child.once('exit', (code) => reject(new Error(`${impl} server exited ${code}`)));
  });
  return { child, port, url: `ws://127.0.0.1:${port}/` };
}

function runClient(impl, url, workload) {
  const flags = impl === 'node' ? ['--experimental-websocket', '--no-warnings'] : [];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...flags, join(here, 'client.mjs'), impl, url, JSON.stringify({ ...workload, rounds: ROUNDS, roundMs: ROUND_MS })], {
      stdio: ['ignore', 'pipe', 'inherit'], env: envFor(impl),
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill(), 60_000 + ROUNDS * ROUND_MS * 4);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(out).rounds);
      else reject(new Error(`${impl} client exited ${code}`));
    });
  });
}

const label = (w) => `${w.size >= MiB ? `${w.size / MiB} MiB` : w.size >= KiB ? `${w.size / KiB} KiB` : `${w.size} B`} ${w.type} ${w.mode}${w.deflate ? ' deflate' : ''}`;

const commit = (() => {
  try {
    return execSync('git rev-parse --short HEAD', { cwd: here, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
})();
const results = { date: new Date().toISOString(), commit, node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, quick, rounds: ROUNDS, roundMs: ROUND_MS, throughput: [], memory: [] };

async function throughput(workloads, pairs) {
  if (pairs.length === 0) return; // --only named no pair (just sync, say)
  for (const w of workloads) {
    const row = { workload: label(w), size: w.size, type: w.type, mode: w.mode, deflate: !!w.deflate, unit: w.size >= MiB ? 'MiB/s' : 'msg/s', pairs: {} };
    for (const [client, server] of pairs) {
      if (w.deflate && (client === 'raw' || client === 'node')) continue;
      const srv = await startServerProcess(server, w.deflate);
      try {
        const rounds = await runClient(client, srv.url, w);
        const perSecond = median(rounds);
        row.pairs[`${client}→${server}`] = w.size >= MiB ? (perSecond * w.size) / MiB : perSecond;
      } catch (error) {
        row.pairs[`${client}→${server}`] = null;
        console.error(`  ${label(w)} ${client}→${server}: ${error.message}`);
      } finally {
        srv.child.kill();
      }
    }
    results.throughput.push(row);
    printRow(row);
  }
}

function fmt(n) {
  if (n === null || n === undefined) return '—';
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1);
}

let headerPrinted = false;
function printRow(row) {
  const names = Object.keys(row.pairs);
  if (!headerPrinted) {
    console.log(`\n| workload | unit | ${names.join(' | ')} | ours/raw | ours/ws |`);
    console.log(`|---|---|${names.map(() => '---:').join('|')}|---:|---:|`);
    headerPrinted = true;
  }
  const ours = row.pairs['ours→ours'];
  const raw = row.pairs['raw→raw'];
  const ws = row.pairs['ws→ws'];
  const ratio = (a, b) => (a && b ? (a / b).toFixed(2) : '—');
  console.log(`| ${row.workload} | ${row.unit} | ${names.map((n) => fmt(row.pairs[n])).join(' | ')} | ${ratio(ours, raw)} | ${ratio(ours, ws)} |`);
}

async function memory(impl, count, withMessage) {
  const srv = await startServerProcess(impl, withMessage);
  try {
    return await idlePerConnection(srv.child, srv.url, impl, count, { message: withMessage });
  } finally {
    srv.child.kill();
  }
}

console.log(`scriptling-websocket benchmark — ${results.date}, commit ${commit}, Node ${process.version}, ${results.cpus} × ${results.cpu}`);
console.log(`${ROUNDS} timed rounds of ${ROUND_MS} ms after a warm-up round; medians; client and server in separate processes.`);
console.log('Pairs are client→server; "binding" is the Scriptling API (binary as lists of ints).');
if (!skipThroughput) await throughput(WORKLOADS, PAIRS);
if (!skipThroughput && DEFLATE_WORKLOADS.length) {
  headerPrinted = false;
  await throughput(DEFLATE_WORKLOADS, PAIRS.filter(([c, s]) => ['ours', 'ws', 'binding'].includes(c) && c === s));
}

// The binding's binary rows against what building and reading the lists alone allow (bench/list-floor.mjs).
// Ping-pong: both processes convert one after the other, two lists built and two read per round trip;
// pipelined: the two processes convert at once, one list built and one read in each per message.
const bindingBinary = results.throughput.filter((r) => r.type === 'binary' && !r.deflate && r.size > 64 && r.pairs['binding→binding']);
if (bindingBinary.length > 0) {
  results.listFloor = listFloor([...new Set(bindingBinary.map((r) => r.size))], { rounds: ROUNDS, roundMs: ROUND_MS / 2 });
  console.log('\n| binding binary vs the list floor | unit | list built /s | list read /s | floor | binding→binding | binding / floor |');
  console.log('|---|---|---:|---:|---:|---:|---:|');
  for (const row of bindingBinary) {
    const floor = results.listFloor.find((f) => f.size === row.size);
    const binding = row.pairs['binding→binding'];
    const messages = row.mode === 'pingpong' ? floor.both / 2 : floor.both;
    const inUnit = row.unit === 'MiB/s' ? (messages * floor.size) / MiB : messages;
    row.listFloor = inUnit;
    console.log(`| ${row.workload} | ${row.unit} | ${fmt(floor.build)} | ${fmt(floor.back)} | ${fmt(inUnit)} | ${fmt(binding)} | ${(binding / inUnit).toFixed(2)} |`);
  }
}

// The blocking binding against the async one: alternating rounds in one process (bench/sync.mjs).
if (wanted('sync')) {
  const srv = await startServerProcess('binding', false);
  try {
    const out = await new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [join(here, 'sync.mjs'), srv.url, JSON.stringify({ rounds: ROUNDS, roundMs: ROUND_MS })], { stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      child.stdout.on('data', (d) => (text += d));
      child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`sync bench exited ${code}`))));
    });
    results.sync = JSON.parse(out).rows;
    console.log('\n| sync vs async binding (alternating rounds) | unit | async binding | sync binding | sync / async | sync, sockets in the worker | that / async | CPU µs per round trip, async / sync / worker | thread sleeps per round trip, async / sync / worker |');
    console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|');
    const triple = (cost, key, digits) => (cost.async[key] === null ? 'n/a' : ['async', 'sync', 'syncWorker'].map((b) => cost[b][key].toFixed(digits)).join(' / '));
    for (const row of results.sync) {
      console.log(`| ${row.workload} | ${row.unit} | ${fmt(row.async)} | ${fmt(row.sync)} | ${row.ratio.toFixed(2)} | ${fmt(row.syncWorker)} | ${row.workerRatio.toFixed(2)} | ${triple(row.cost, 'cpuUs', 0)} | ${triple(row.cost, 'sleeps', 2)} |`);
    }
  } catch (error) {
    console.error(`  sync vs async: ${error.message}`);
  } finally {
    srv.child.kill();
  }
}

if (!skipMemory) {
  console.log('\n| idle memory per connection | connections | RSS KiB | heap+external KiB |');
  console.log('|---|---:|---:|---:|');
  const counts = quick ? [200] : [1000, 10000];
  for (const impl of ['raw', 'ours', 'ws'].filter(wanted)) {
    for (const count of counts) {
      const m = await memory(impl, count, false);
      results.memory.push({ impl, count, message: false, ...m });
      console.log(`| ${impl} | ${count} | ${m.rss.toFixed(2)} | ${m.heap.toFixed(2)} |`);
    }
  }
  for (const impl of ['ours', 'ws'].filter(wanted)) {
    const count = quick ? 200 : 1000;
    const m = await memory(impl, count, true);
    results.memory.push({ impl, count, message: true, ...m });
    console.log(`| ${impl}, after one compressed message | ${count} | ${m.rss.toFixed(2)} | ${m.heap.toFixed(2)} |`);
  }
}

if (!args.includes('--no-fanout') && wanted('ours')) {
  results.fanout = await fanout({ clients: quick ? 50 : 1000, rounds: ROUNDS, impls: ['ours', 'ws', 'binding'].filter(wanted) });
  printFanout(results.fanout);
}

// Topics across processes (issue 20): one process, workers: 2, two processes through Redis (when redis-server is installed), ws + loop.
if (!args.includes('--no-topics') && wanted('ours')) {
  results.topics = await topicBench({ clients: quick ? 50 : 1000, rounds: ROUNDS, idle: quick ? 1000 : 10_000, memory: !skipMemory, samples: quick ? 300 : 2000, reference: wanted('ws') });
  printTopics(results.topics);
}

if (!args.includes('--no-http2') && wanted('ours')) {
  // WebSockets over HTTP/2 against HTTP/1.1 (bench/http2.mjs prints its own tables).
  console.log('\n## WebSockets over HTTP/2 (RFC 8441) and HTTP/1.1\n');
  const out = execSync(`"${process.execPath}" --expose-gc "${join(here, 'http2.mjs')}" --json${quick ? ' --quick' : ''}`, { encoding: 'utf8' });
  const lines = out.trimEnd().split('\n');
  results.http2 = JSON.parse(lines.pop());
  console.log(lines.join('\n'));
}

mkdirSync(join(here, 'results'), { recursive: true });
const file = join(here, 'results', quick ? 'quick.json' : 'latest.json');
writeFileSync(file, JSON.stringify(results, null, 2));
console.log(`\nresults written to ${file}`);
