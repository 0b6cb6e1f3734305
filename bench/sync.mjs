// Sync binding against the async binding, in one client process with one
// connection each to the same binding echo server (its own process), rounds
// alternating sync, async, sync with its sockets in the worker thread, … so
// all see the same machine load.
//   node bench/sync.mjs URL '{"rounds":5,"roundMs":600}'
// Prints {"rows":[{workload, unit, async, sync, ratio, syncWorker, workerRatio, cost}]}:
// medians of the rounds, the medians of the per-round ratios to async, and for each
// binding what one round trip costs this process (all its threads): CPU µs
// and thread sleeps (voluntary context switches, Linux only), the profile
// that explains the ratio.
import { performance } from 'node:perf_hooks';
import { readFileSync, readdirSync } from 'node:fs';
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

/** Times this process's threads went to sleep (voluntary context switches); null where /proc is missing. */
function sleeps() {
  try {
    let total = 0;
    for (const task of readdirSync('/proc/self/task')) {
      total += Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync(`/proc/self/task/${task}/status`, 'utf8'))[1]);
    }
    return total;
  } catch {
    return null;
  }
}

/** One round of ping-pong: messages per second, and per round trip CPU µs and thread sleeps. */
async function round(conn, payload) {
  const sleptBefore = sleeps();
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const end = start + roundMs;
  let count = 0;
  while (performance.now() < end) {
    conn.send(payload);
    await conn.next();
    count++;
  }
  const rate = count / ((performance.now() - start) / 1000);
  const cpu = process.cpuUsage(cpuBefore);
  const slept = sleeps();
  return { rate, cpuUs: (cpu.user + cpu.system) / count, sleeps: slept === null ? null : (slept - sleptBefore) / count };
}

const BINDINGS = ['async', 'sync', 'syncWorker'];
const clients = { async: await openClient('binding', url), sync: await openClient('sync', url), syncWorker: await openClient('sync-worker', url) };
const rows = [];
for (const { workload, size, type } of WORKLOADS) {
  // Both bindings take binary as a list of byte values.
  const payload = type === 'text' ? 'x'.repeat(size) : Array.from({ length: size }, () => 0x61);
  const measured = { async: [], sync: [], syncWorker: [] };
  const ratios = { sync: [], syncWorker: [] };
  for (let r = 0; r <= rounds; r++) {
    const sync = await round(clients.sync, payload);
    const async = await round(clients.async, payload);
    const syncWorker = await round(clients.syncWorker, payload);
    if (r === 0) continue; // warm-up
    measured.sync.push(sync);
    measured.async.push(async);
    measured.syncWorker.push(syncWorker);
    ratios.sync.push(sync.rate / async.rate);
    ratios.syncWorker.push(syncWorker.rate / async.rate);
  }
  const scale = size >= MiB ? size / MiB : 1;
  const of = (binding, key) => (measured[binding][0][key] === null ? null : median(measured[binding].map((m) => m[key])));
  const cost = Object.fromEntries(BINDINGS.map((b) => [b, { cpuUs: of(b, 'cpuUs'), sleeps: of(b, 'sleeps') }]));
  rows.push({
    workload, unit: size >= MiB ? 'MiB/s' : 'msg/s',
    async: of('async', 'rate') * scale, sync: of('sync', 'rate') * scale, ratio: median(ratios.sync),
    syncWorker: of('syncWorker', 'rate') * scale, workerRatio: median(ratios.syncWorker), cost,
  });
}
clients.sync.close();
clients.syncWorker.close();
await Promise.race([clients.async.close(), new Promise((r) => setTimeout(r, 1000))]);
console.log(JSON.stringify({ rows }));
process.exit(0);
