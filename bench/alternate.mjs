#!/usr/bin/env node
// node bench/alternate.mjs [--reps 5] [--round-ms 500] [--only ours,ws,raw,binding] [--base DIR] [--workloads 16k,1m,64]
// On a shared, noisy machine the figures of bench/run.mjs, one pair after
// another, drift with the load of the minute. Here every pair's server
// stays up and the clients take turns: repetition r runs each pair once
// (order rotated), so the ratios of one repetition come from the same
// seconds. Prints, per workload, each pair's median rate and, for each
// ratio, the median over repetitions and its spread (min–max).
// --base DIR adds "base-ours" and "base-binding": the same peers from
// another checkout's bench/ and dist/ (an older commit, built), in the same turns.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const arg = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const reps = Number(arg('--reps', 5));
const roundMs = Number(arg('--round-ms', 500));
const only = arg('--only', 'ours,ws,raw,binding').split(',');
const base = arg('--base', null);
const KiB = 1024;
const MiB = 1024 * KiB;
const sets = {
  64: [{ size: 64, mode: 'pingpong', type: 'binary' }, { size: 64, mode: 'pipelined', type: 'binary', window: 1000 }, { size: 64, mode: 'pingpong', type: 'text' }, { size: 64, mode: 'pipelined', type: 'text', window: 1000 }],
  '16k': [{ size: 16 * KiB, mode: 'pingpong', type: 'binary' }, { size: 16 * KiB, mode: 'pingpong', type: 'text' }],
  '1m': [{ size: MiB, mode: 'pingpong', type: 'binary' }, { size: MiB, mode: 'pingpong', type: 'text' }],
};
const workloads = arg('--workloads', '64,16k,1m').split(',').flatMap((name) => sets[name]);

const impls = only.map((impl) => ({ name: impl, impl, root: join(here) }));
if (base) for (const impl of ['ours', 'binding'].filter((i) => only.includes(i))) impls.push({ name: `base-${impl}`, impl, root: join(base, 'bench') });

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function startServer({ impl, root }) {
  const child = spawn(process.execPath, [join(root, 'server.mjs'), impl], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const port = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', (line) => resolve(Number(line.split(' ')[1])));
    child.once('exit', (code) => reject(new Error(`${impl} server exited ${code}`)));
  });
  return { child, url: `ws://127.0.0.1:${port}/` };
}

/** The server process's CPU time so far, in µs (null from a server.mjs without the 'cpu' answer). */
function serverCpu({ child }) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), 2000);
    child.once('message', (m) => {
      clearTimeout(timer);
      resolve(m.cpu ?? null);
    });
    child.send('cpu');
  });
}

/** Resolves { rate, messages }: messages per second of the timed round, and all messages sent (warm-up included). */
function runClient({ impl, root }, url, workload) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'client.mjs'), impl, url, JSON.stringify({ window: 64, ...workload, rounds: 1, roundMs })], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`${impl} client exited ${code}`))));
  });
}

console.log(`alternating bench — ${new Date().toISOString()}, Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model}, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
console.log(`${reps} repetitions of one ${roundMs} ms round (after a warm-up round) per pair, pairs taking turns; client and server in separate processes.`);
const ratios = [['ours', 'ws'], ['binding', 'ws'], ['ours', 'raw'], ['ours', 'base-ours'], ['binding', 'base-binding'], ['base-ours', 'ws'], ['base-binding', 'ws']].filter(([a, b]) => impls.some((i) => i.name === a) && impls.some((i) => i.name === b));
for (const w of workloads) {
  const servers = new Map();
  for (const impl of impls) servers.set(impl.name, await startServer(impl));
  const rates = Object.fromEntries(impls.map((i) => [i.name, []]));
  const costs = Object.fromEntries(impls.map((i) => [i.name, []]));
  try {
    for (let r = 0; r < reps; r++) {
      for (let k = 0; k < impls.length; k++) {
        const impl = impls[(k + r) % impls.length];
        const server = servers.get(impl.name);
        const cpuBefore = await serverCpu(server);
        const { rounds, messages } = await runClient(impl, server.url, w);
        const cpuAfter = await serverCpu(server);
        rates[impl.name].push(rounds[0]);
        if (cpuBefore !== null && cpuAfter !== null && messages) costs[impl.name].push((cpuAfter - cpuBefore) / messages);
      }
    }
  } finally {
    for (const { child } of servers.values()) child.kill();
  }
  const unit = w.size >= MiB ? 'MiB/s' : 'msg/s';
  const scale = w.size >= MiB ? w.size / MiB : 1;
  const label = `${w.size >= MiB ? `${w.size / MiB} MiB` : w.size >= KiB ? `${w.size / KiB} KiB` : `${w.size} B`} ${w.type} ${w.mode}`;
  const cells = impls.map((i) => `${i.name} ${Math.round(median(rates[i.name]) * scale)}`).join(', ');
  const ratioCells = ratios.map(([a, b]) => {
    const per = rates[a].map((x, i) => x / rates[b][i]);
    return `${a}/${b} ${median(per).toFixed(2)} (${Math.min(...per).toFixed(2)}–${Math.max(...per).toFixed(2)})`;
  }).join(' · ');
  const costCells = impls.filter((i) => costs[i.name].length > 0).map((i) => `${i.name} ${median(costs[i.name]).toFixed(1)}`).join(', ');
  console.log(`| ${label} | ${unit} | ${cells} | ${ratioCells} | server CPU µs/message: ${costCells} |`);
}
