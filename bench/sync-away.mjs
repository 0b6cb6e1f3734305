// The sync client while the script is away (issue 22): a peer with 200 MiB
// to send (200-byte ticks, one large message, empty frames, or Pings) while
// the script sleeps 5 s; how much the process grew (peak RSS over the RSS
// before connect) and how long the next receive(1) took. Each case runs in a
// process of its own (peak RSS only grows). Targets: ≤ 64 MiB, ≤ 1.5 s.
//   node scripts/setup.mjs && node bench/sync-away.mjs [--away-ms 5000]
// Prints a Markdown table.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { 'away-ms': { type: 'string', default: '5000' }, case: { type: 'string' } } });
const awayMs = Number(values['away-ms']);
const MiB = 1024 * 1024;

if (values.case !== undefined) {
  // One case, in this process: KIND,THREAD.
  const [kind, socketThread] = values.case.split(',');
  const { startSeedPeer } = await import('../dist/test/sync/peers.js');
  const ws = await import('../dist/src/sync/index.js');
  const peer = await startSeedPeer('ours');
  try {
    const worker = new ws.SyncWorker({ socketThread });
    worker.connect(peer.url('/echo')).close(); // threads started and warm
    const before = process.memoryUsage().rss;
    const conn = worker.connect(peer.url(`/away-${kind}`));
    conn.connected(); // one call, as a script makes, then away
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, awayMs);
    const started = performance.now();
    const message = conn.receive(1);
    const seconds = (performance.now() - started) / 1000;
    const grownMiB = (process.resourceUsage().maxRSS * 1024 - before) / MiB;
    conn.close();
    console.log(JSON.stringify({ grownMiB, seconds, got: message === null ? 'null' : typeof message === 'string' ? `text ${message.length}` : `binary ${message.length}` }));
  } finally {
    peer.stop();
  }
  process.exit(0);
}

const rows = [];
for (const socketThread of ['caller', 'worker']) {
  for (const kind of ['ticks', 'large', 'empty', 'pings']) {
    const run = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--away-ms', String(awayMs), '--case', `${kind},${socketThread}`], { encoding: 'utf8', timeout: 120_000 });
    const line = run.stdout.trim().split('\n').pop();
    let result;
    try {
      result = JSON.parse(line);
    } catch {
      result = { error: (run.stderr || run.signal || 'no output').toString().trim().split('\n').slice(-1)[0] };
    }
    rows.push({ kind, socketThread, ...result });
  }
}
console.log(`sync client, peer sends 200 MiB while the script is away ${awayMs / 1000} s (Node ${process.version})\n`);
console.log('| peer sends | socketThread | process growth (peak RSS) | next receive(1) took | it returned |');
console.log('|---|---|---:|---:|---|');
for (const row of rows) {
  if (row.error !== undefined) console.log(`| ${row.kind} | ${row.socketThread} | failed: ${row.error} | | |`);
  else console.log(`| ${row.kind} | ${row.socketThread} | ${row.grownMiB.toFixed(0)} MiB | ${row.seconds.toFixed(2)} s | ${row.got} |`);
}
