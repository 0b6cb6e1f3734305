// Sync binding against the async binding, in one client process with one
// connection each to the same binding echo server (its own process), rounds
// alternating sync, async, sync, … so both see the same machine load.
//   node bench/sync.mjs URL '{"rounds":5,"roundMs":600}'
// Prints {"rows":[{workload, unit, async, sync, ratio}]}: medians of the
// rounds, and the median of the per-round sync/async ratios.
import { performance } from 'node:perf_hooks';
import { openClient } from './peers.mjs';

const [url, optionsJson] = process.argv.slice(2);
const { rounds, roundMs } = JSON.parse(optionsJson);
const MiB = 1024 * 1024;
const WORKLOADS = [
  { workload: '64 B text pingpong', size: 64, type: 'text' },
  { workload: '64 B binary pingpong', size: 64, type: 'binary' },
  { workload: '1 MiB text pingpong', size: MiB, type: 'text' },
  { workload: '1 MiB binary pingpong', size: MiB, type: 'binary' },
];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Messages per second over one round of ping-pong. */
async function round(conn, payload) {
  const start = performance.now();
  const end = start + roundMs;
  let count = 0;
  while (performance.now() < end) {
    conn.send(payload);
    await conn.next();
    count++;
  }
  return count / ((performance.now() - start) / 1000);
}

const clients = { async: await openClient('binding', url), sync: await openClient('sync', url) };
const rows = [];
for (const { workload, size, type } of WORKLOADS) {
  // Both bindings take binary as a list of byte values.
  const payload = type === 'text' ? 'x'.repeat(size) : Array.from({ length: size }, () => 0x61);
  const rates = { async: [], sync: [] };
  const ratios = [];
  for (let r = 0; r <= rounds; r++) {
    const sync = await round(clients.sync, payload);
    const async = await round(clients.async, payload);
    if (r === 0) continue; // warm-up
    rates.sync.push(sync);
    rates.async.push(async);
    ratios.push(sync / async);
  }
  const scale = size >= MiB ? size / MiB : 1;
  rows.push({ workload, unit: size >= MiB ? 'MiB/s' : 'msg/s', async: median(rates.async) * scale, sync: median(rates.sync) * scale, ratio: median(ratios) });
}
clients.sync.close();
await Promise.race([clients.async.close(), new Promise((r) => setTimeout(r, 1000))]);
console.log(JSON.stringify({ rows }));
process.exit(0);
