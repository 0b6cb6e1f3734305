#!/usr/bin/env node
// Topics at scale (issue 20): one publish to N subscribers, delivered
// messages per second, for
//   one process        runtime.publish in one server process
//   workers: 2         serve({ workers: 2 }): node:cluster, topics through the primary
//   2 processes+Redis  two server processes joined by redis-server, subscribers split between them
//   ws + loop          ws, a hand-written loop over server.clients, one process (reference)
// then the latency of a publish through Redis (p50/p99, loopback), and the
// memory per idle subscribed connection over workers: 2.
//   node bench/topics.mjs [--clients 1000] [--rounds 5] [--idle 10000] [--no-memory]
//   node bench/topics.mjs serve MODE [REDIS_URL]   (a server; the primary prints "PORT n PIDS a,b")
// The receivers and the sender are our engine's clients, in this process.
import cluster from 'node:cluster';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = (...path) => import(join(here, '..', 'dist', 'src', ...path));

async function serve(mode, redisUrl) {
  const ws = await dist('scriptling', 'index.js');
  const runtime = ws.createRuntime();
  runtime.http.websocket('/recv', async (client) => {
    client.subscribe('room');
    await client.send('ready');
    while ((await client.receive(null)) !== null);
  });
  runtime.http.websocket('/send', async (client) => {
    for (let msg; (msg = await client.receive(null)) !== null;) runtime.publish('room', msg);
  });
  const server = await runtime.http.serve({
    port: 0, perMessageDeflate: false, maxConnections: 20_000,
    workers: mode === 'workers' ? 2 : undefined,
    pubsub: mode === 'redis' ? redisUrl : undefined,
    onError: (error, where) => console.error(`${where}: ${error.message}`),
  });
  if (!cluster.isWorker) console.log(`PORT ${server.port} PIDS ${(server.workers ?? [process.pid]).join(',')}`);
}

/** Starts a server process; resolves with its port and the pids that hold connections. */
async function startServer(args) {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}`)));
  });
  const [, port, , pids] = line.split(' ');
  return { child, port: Number(port), pids: pids === undefined ? [child.pid] : pids.split(',').map(Number) };
}

async function stopServer({ child }) {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

function startRedis() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-redis-'));
  return new Promise((resolve, reject) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => {
        const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (chunk) => {
          out += chunk;
          if (out.includes('Ready to accept connections')) {
            child.stdout.resume();
            resolve({ url: `redis://127.0.0.1:${port}`, stop: () => { child.kill(); rmSync(dir, { recursive: true, force: true }); } });
          }
        });
        child.once('exit', (code) => reject(new Error(`redis-server exited ${code}: ${out}`)));
      });
    });
  });
}

/**
 * Connects `clients` receivers spread over `ports` and a sender on the
 * first; probes until every receiver hears a publish (Redis subscriptions
 * take effect asynchronously); then each round publishes `count` messages
 * and waits until every receiver has them all.
 */
async function measure(ports, { clients, size, count, rounds, ready }) {
  const { connect } = await dist('index.js');
  let received = 0;
  let target = Infinity;
  let done = null;
  const heard = new Set();
  const receivers = [];
  for (let i = 0; i < clients; i++) {
    const ws = await connect(`ws://127.0.0.1:${ports[i % ports.length]}/recv`, { perMessageDeflate: false });
    if (ready && (await ws.receive(10_000)) !== 'ready') throw new Error('no ready');
    receivers.push(ws);
    void (async () => {
      for (let m; (m = await ws.receive()) !== null;) {
        if (m[0] === 'p') heard.add(ws);
        else if (++received === target) done();
      }
    })();
  }
  const sender = await connect(`ws://127.0.0.1:${ports[0]}/send`, { perMessageDeflate: false });
  while (heard.size < clients) {
    await sender.send('probe');
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 200)); // the last probes land before counting starts
  received = 0;
  target = 0;
  const payload = 'm'.repeat(size);
  const results = [];
  for (let round = 0; round <= rounds; round++) {
    const finished = new Promise((resolve) => (done = resolve));
    target += count * clients;
    const start = process.hrtime.bigint();
    try {
      for (let i = 0; i < count; i++) await sender.send(payload);
    } catch (error) {
      throw new Error(`the sender's connection ended: ${JSON.stringify(sender.closeInfo)}`, { cause: error });
    }
    await finished;
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (round > 0) results.push((count * clients) / seconds); // round 0 warms up
  }
  await sender.close();
  await Promise.all(receivers.map((ws) => ws.close()));
  return results;
}

/** One subscriber on the last port, the sender on the first: `samples` publishes one at a time, each timed to its arrival. */
async function latency(ports, samples) {
  const { connect } = await dist('index.js');
  const receiver = await connect(`ws://127.0.0.1:${ports.at(-1)}/recv`, { perMessageDeflate: false });
  await receiver.receive(10_000);
  const sender = await connect(`ws://127.0.0.1:${ports[0]}/send`, { perMessageDeflate: false });
  for (;;) {
    await sender.send('probe');
    if ((await receiver.receive(100)) !== null) break;
  }
  while ((await receiver.receive(200)) !== null); // drain late probes
  const times = [];
  for (let i = 0; i < samples + 100; i++) {
    const start = performance.now();
    await sender.send(`m${i}`);
    if ((await receiver.receive(5000)) !== `m${i}`) throw new Error('lost a message');
    if (i >= 100) times.push(performance.now() - start); // the first 100 warm up
  }
  await sender.close();
  await receiver.close();
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(times.length * 0.5)], p99: times[Math.floor(times.length * 0.99)] };
}

const rssKiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

/** Memory of the workers per idle subscribed connection (RSS, no forced GC), `count` connections over workers: 2. */
async function idleMemory(count) {
  const server = await startServer([fileURLToPath(import.meta.url), 'serve', 'workers']);
  try {
    const before = server.pids.reduce((sum, pid) => sum + rssKiB(pid), 0);
    const clients = spawn(process.execPath, [join(here, 'connections.mjs'), 'ours', `ws://127.0.0.1:${server.port}/recv`, String(count)], { stdio: ['pipe', 'pipe', 'inherit'] });
    await new Promise((resolve, reject) => {
      createInterface({ input: clients.stdout }).once('line', resolve);
      clients.once('exit', (code) => reject(new Error(`connections.mjs exited with ${code}`)));
    });
    await new Promise((r) => setTimeout(r, 2000)); // let the workers settle (no way to force their GC from here)
    const perWorker = server.pids.map(rssKiB);
    const after = perWorker.reduce((a, b) => a + b, 0);
    clients.stdin.end();
    clients.kill();
    return { perConnectionKiB: (after - before) / count, perWorkerMiB: perWorker.map((k) => k / 1024) };
  } finally {
    await stopServer(server);
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export async function topicBench({ clients = 1000, rounds = 5, idle = 10_000, memory = true, samples = 2000, reference = true } = {}) {
  const hasRedis = spawnSync('sh', ['-c', 'command -v redis-server']).status === 0;
  const redis = hasRedis ? await startRedis() : null;
  const self = fileURLToPath(import.meta.url);
  const setups = [
    ['one process', [[self, 'serve', 'one']]],
    ['workers: 2', [[self, 'serve', 'workers']]],
    ...(redis ? [['2 processes + Redis', [[self, 'serve', 'redis', redis.url], [self, 'serve', 'redis', redis.url]]]] : []),
    ...(reference ? [['ws + loop (reference)', [[join(here, 'fanout.mjs'), 'serve', 'ws']]]] : []),
  ];
  const rows = [];
  const latencies = [];
  try {
    for (const size of [64, 4096]) {
      const count = size <= 64 ? 200 : 50;
      for (const [name, commands] of setups) {
        const servers = [];
        try {
          for (const args of commands) servers.push(await startServer(args));
          const ports = servers.map((s) => s.port);
          process.stderr.write(`topics: ${name}, ${size} B…\n`);
          rows.push({ size, name, perSecond: median(await measure(ports, { clients, size, count, rounds, ready: !name.startsWith('ws') })) });
          if (size === 64 && name !== 'ws + loop (reference)') latencies.push({ name, ...(await latency(ports, samples)) });
        } finally {
          for (const s of servers) await stopServer(s);
        }
      }
    }
  } finally {
    redis?.stop();
  }
  const mem = memory ? await idleMemory(idle) : null;
  return { rows, latencies, mem, clients, idle, hasRedis };
}

export function printTopics({ rows, latencies, mem, clients, idle, hasRedis }) {
  const cell = (n) => (n === undefined ? '—' : Math.round(n).toLocaleString('en-US'));
  const names = [...new Set(rows.map((r) => r.name))];
  console.log(`\n| one publish → ${clients} subscribers, delivered/s | ${names.join(' | ')} |`);
  console.log(`|---|${names.map(() => '---:').join('|')}|`);
  for (const size of [...new Set(rows.map((r) => r.size))]) {
    console.log(`| ${size} B text | ${names.map((n) => cell(rows.find((r) => r.size === size && r.name === n)?.perSecond)).join(' | ')} |`);
  }
  if (!hasRedis) console.log('(redis-server not installed: no Redis row)');
  console.log('\n| publish → one subscriber, latency (ms, loopback) | p50 | p99 |');
  console.log('|---|---:|---:|');
  for (const l of latencies) console.log(`| ${l.name} | ${l.p50.toFixed(3)} | ${l.p99.toFixed(3)} |`);
  if (mem) {
    console.log(`\n${idle.toLocaleString('en-US')} idle subscribed connections over workers: 2: ${mem.perConnectionKiB.toFixed(1)} KiB RSS per connection (workers at ${mem.perWorkerMiB.map((m) => m.toFixed(0)).join(' + ')} MiB)`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  if (args[0] === 'serve' || cluster.isWorker) {
    // A worker runs this script again with the primary's arguments.
    await serve(args[1], args[2]);
  } else {
    const value = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
    const result = await topicBench({
      clients: Number(value('--clients', 1000)),
      rounds: Number(value('--rounds', 5)),
      idle: Number(value('--idle', 10_000)),
      memory: !args.includes('--no-memory'),
    });
    console.log(`node ${process.version}, ${new Date().toISOString()}`);
    printTopics(result);
  }
}
