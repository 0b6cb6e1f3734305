#!/usr/bin/env node
// The seed's chat shape: one sender, many receivers on one server, every
// message broadcast to all of them. Server and clients run in separate
// processes; only the server's implementation changes between rows (the
// receivers are always our engine's client), so the figure is the server's.
//   node bench/fanout.mjs [--clients 1000] [--rounds 5] [--only ours,ws,binding]
//   node bench/fanout.mjs serve IMPL        (one server process; prints "PORT n")
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = (...path) => import(join(here, '..', 'dist', 'src', ...path));

async function serve(impl) {
  if (impl === 'ours') {
    const { WebSocketServer } = await dist('index.js');
    const receivers = new Set();
    const server = new WebSocketServer({ perMessageDeflate: false });
    server.route('/recv', async (ws) => {
      receivers.add(ws);
      await ws.whenClosed();
      receivers.delete(ws);
    });
    server.route('/send', async (ws) => {
      for (let m; (m = await ws.receive()) !== null;) {
        for (const r of receivers) r.send(m).catch(() => {});
      }
    });
    return (await server.listen(0, '127.0.0.1')).port;
  }
  if (impl === 'binding') {
    const scriptling = await dist('scriptling', 'index.js');
    const runtime = scriptling.createRuntime();
    const clients = [];
    runtime.http.websocket('/recv', async (client) => {
      clients.push(client);
      while ((await client.receive(null)) !== null);
      clients.splice(clients.indexOf(client), 1);
    });
    runtime.http.websocket('/send', async (client) => {
      for (let msg; (msg = await client.receive(null)) !== null;) {
        for (const c of clients) (scriptling.is_binary(msg) ? c.send_binary(msg) : c.send(msg)).catch(() => {});
      }
    });
    return (await runtime.http.serve({ port: 0, perMessageDeflate: false })).port;
  }
  if (impl === 'ws') {
    const { WebSocketServer, WebSocket } = createRequire(join(here, 'package.json'))('ws');
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
    // ws's documented broadcast: every other open client, from the 'message' callback.
    server.on('connection', (socket, request) => {
      if (request.url !== '/send') return;
      socket.on('message', (data, isBinary) => {
        server.clients.forEach((client) => {
          if (client !== socket && client.readyState === WebSocket.OPEN) client.send(data, { binary: isBinary });
        });
      });
    });
    await new Promise((r) => server.once('listening', r));
    return server.address().port;
  }
  throw new Error(`unknown server ${impl}`);
}

/** Opens the receivers and the sender; each round broadcasts `count` messages and waits until every receiver has them all. */
async function measure(port, { clients, size, count, rounds }) {
  const { connect } = await dist('index.js');
  const base = `ws://127.0.0.1:${port}`;
  let received = 0;
  let target = 0;
  let done = null;
  const receivers = [];
  for (let i = 0; i < clients; i++) {
    const ws = await connect(`${base}/recv`, { perMessageDeflate: false });
    receivers.push(ws);
    void (async () => {
      while ((await ws.receive()) !== null) {
        if (++received === target) done();
      }
    })();
  }
  const sender = await connect(`${base}/send`, { perMessageDeflate: false });
  const payload = Buffer.alloc(size, 7);
  const results = [];
  for (let round = 0; round <= rounds; round++) {
    const finished = new Promise((resolve) => (done = resolve));
    target += count * clients;
    const start = process.hrtime.bigint();
    for (let i = 0; i < count; i++) await sender.send(payload);
    await finished;
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (round > 0) results.push((count * clients) / seconds); // round 0 warms up
  }
  await sender.close();
  await Promise.all(receivers.map((ws) => ws.close()));
  return results;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Runs every implementation at both sizes; returns rows of { size, impl, perSecond }. */
export async function fanout({ clients = 1000, rounds = 5, impls = ['ours', 'ws', 'binding'] } = {}) {
  const rows = [];
  for (const size of [64, 4096]) {
    const count = size <= 64 ? 200 : 50;
    for (const impl of impls) {
      const server = spawn(process.execPath, [fileURLToPath(import.meta.url), 'serve', impl], { stdio: ['ignore', 'pipe', 'inherit'] });
      try {
        const port = await new Promise((resolve, reject) => {
          createInterface({ input: server.stdout }).once('line', (line) => resolve(Number(line.split(' ')[1])));
          server.once('exit', (code) => reject(new Error(`${impl} server exited ${code}`)));
        });
        rows.push({ size, impl, perSecond: median(await measure(port, { clients, size, count, rounds })) });
      } finally {
        server.kill();
      }
    }
  }
  return rows;
}

export function printFanout(rows) {
  console.log('\n| fan-out: 1 sender → N receivers | ours | ws | binding | ours / ws |');
  console.log('|---|---:|---:|---:|---:|');
  for (const size of [...new Set(rows.map((r) => r.size))]) {
    const get = (impl) => rows.find((r) => r.size === size && r.impl === impl)?.perSecond;
    const cell = (n) => (n === undefined ? '—' : Math.round(n).toLocaleString('en-US'));
    const ratio = get('ours') && get('ws') ? (get('ours') / get('ws')).toFixed(2) : '—';
    console.log(`| ${size} B, messages delivered/s | ${cell(get('ours'))} | ${cell(get('ws'))} | ${cell(get('binding'))} | ${ratio} |`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  if (args[0] === 'serve') {
    console.log(`PORT ${await serve(args[1])}`);
  } else {
    const value = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
    const rows = await fanout({
      clients: Number(value('--clients', 1000)),
      rounds: Number(value('--rounds', 5)),
      impls: value('--only', 'ours,ws,binding').split(','),
    });
    printFanout(rows);
  }
}
