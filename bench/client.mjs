// One benchmark client process: node bench/client.mjs IMPL URL WORKLOAD_JSON
// Runs a warm-up round then the timed rounds; prints {"rounds":[messages per second…]}.
import { openClient } from './peers.mjs';
import { performance } from 'node:perf_hooks';

const [impl, url, workloadJson] = process.argv.slice(2);
const w = JSON.parse(workloadJson);

function payloadFor(impl, type, size) {
  if (type === 'text') return w.compressible ? JSON.stringify({ items: Array.from({ length: size / 40 }, (_, i) => ({ id: i, name: 'item' })) }).slice(0, size).padEnd(size, ' ') : 'x'.repeat(size);
  const bytes = Buffer.alloc(size, 0x61);
  if (impl === 'binding' || impl === 'sync') return Array.from(bytes);
  if (impl === 'node') return new Uint8Array(bytes);
  return bytes;
}

async function pingpong(conn, payload, end) {
  let count = 0;
  while (performance.now() < end) {
    conn.send(payload);
    await conn.next();
    count++;
  }
  return count;
}

async function pipelined(conn, payload, end, window) {
  let inflight = 0;
  let count = 0;
  let stop = false;
  const pump = () => {
    while (!stop && inflight < window) {
      inflight++;
      conn.send(payload);
    }
  };
  pump();
  while (inflight > 0) {
    await conn.next();
    inflight--;
    count++;
    if (performance.now() >= end) stop = true;
    else if (inflight <= window >> 1) pump();
  }
  return count;
}

const conn = await openClient(impl, url, { deflate: !!w.deflate });
const payload = payloadFor(impl, w.type, w.size);
const rounds = [];
let messages = 0;
for (let round = 0; round <= w.rounds; round++) {
  const start = performance.now();
  const end = start + w.roundMs;
  const count = w.mode === 'pingpong' ? await pingpong(conn, payload, end) : await pipelined(conn, payload, end, w.window);
  const seconds = (performance.now() - start) / 1000;
  messages += count;
  if (round > 0) rounds.push(count / seconds); // round 0 warms up
}
await Promise.race([conn.close(), new Promise((r) => setTimeout(r, 1000))]);
console.log(JSON.stringify({ rounds, messages }));
process.exit(0);
