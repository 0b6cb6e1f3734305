#!/usr/bin/env node
// npm run fuzz [-- --seed N] [--count N] [--seconds S] [--targets frames,inflate,...] [--replay I]
// Seeded fuzzing of the frame parser, the handshake parsers and the inflate
// path (test/robustness/, built into dist/). The loop runs in a worker; this
// process watches it, so a hang is reported with the input that caused it
// (replay it with --seed and --replay). Exits 1 on any failure or hang.
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const runner = join(root, 'dist', 'test', 'robustness', 'run.js');
if (!existsSync(runner)) {
  console.error('dist/ is missing: run `npx tsc -p .` (or `npm test`) first');
  process.exit(2);
}

const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(`--${name}`);
  if (i === -1) return undefined;
  const value = Number(args[i + 1]);
  if (!Number.isFinite(value) || value < 0) {
    console.error(`--${name} needs a number`);
    process.exit(2);
  }
  return value;
};
const seed = option('seed') ?? Date.now() % 1_000_000;
const replay = option('replay');
const seconds = option('seconds');
const count = option('count') ?? (seconds === undefined ? 1_000_000 : undefined);
const targets = args.includes('--targets') ? args[args.indexOf('--targets') + 1].split(',') : undefined;
const STALL_MS = 30_000;

if (replay !== undefined) {
  // In this process, so a debugger or a stack trace points at the input.
  const { runFuzz } = await import(runner);
  const summary = await runFuzz({ seed, replay });
  for (const failure of summary.failures) console.log(`${failure.target} #${failure.index}: ${failure.error}`);
  console.log(summary.failures.length === 0 ? `seed ${seed} input ${replay} (${Object.keys(summary.byTarget).find((t) => summary.byTarget[t])}): passes` : '');
  process.exit(summary.failures.length === 0 ? 0 : 1);
}

const current = new Int32Array(new SharedArrayBuffer(4));
const worker = new Worker(join(root, 'scripts', 'fuzz-worker.mjs'), { workerData: { runner, current, options: { seed, count, seconds, targets } } });
console.log(`fuzzing with seed ${seed}: ${count !== undefined ? `${count.toLocaleString('en')} inputs` : ''}${count !== undefined && seconds !== undefined ? ' or ' : ''}${seconds !== undefined ? `${seconds} s` : ''}`);

let lastIndex = -1;
let lastMove = Date.now();
const watchdog = setInterval(() => {
  const index = Atomics.load(current, 0);
  if (index !== lastIndex) {
    lastIndex = index;
    lastMove = Date.now();
    return;
  }
  if (Date.now() - lastMove > STALL_MS) {
    console.log(`HANG: input ${index} has run for over ${STALL_MS / 1000} s; replay with --seed ${seed} --replay ${index}`);
    void worker.terminate();
    process.exitCode = 1;
  }
}, 1000);

worker.on('message', (summary) => {
  clearInterval(watchdog);
  const rate = Math.round(summary.inputs / Math.max(summary.seconds, 0.001)).toLocaleString('en');
  console.log(`inputs   ${summary.inputs.toLocaleString('en')} in ${summary.seconds} s (${rate}/s)`);
  for (const [target, n] of Object.entries(summary.byTarget)) {
    console.log(`  ${target.padEnd(15)} ${String(n).padStart(9)} inputs ${String(summary.msByTarget[target]).padStart(8)} ms`);
  }
  console.log(`slowest  ${summary.slowest.target} #${summary.slowest.index}: ${summary.slowest.ms} ms`);
  const { heap, rss } = summary.memoryMiB;
  console.log(`memory   heap+external ${heap.start} MiB at start, ${heap.peak} peak, ${heap.end} at end; RSS ${rss.start} / ${rss.peak} / ${rss.end} MiB (sampled every 10,000 inputs, after GC)`);
  const total = summary.failures.length + summary.moreFailures;
  console.log(`failures ${total}`);
  for (const failure of summary.failures) {
    console.log(`\n${failure.target} #${failure.index} (replay: npm run fuzz -- --seed ${seed} --replay ${failure.index})\n${failure.error}`);
  }
  process.exitCode = total === 0 ? 0 : 1;
});
worker.on('error', (error) => {
  clearInterval(watchdog);
  console.log(`CRASH escaping the fuzz loop near input ${Atomics.load(current, 0)}: ${error.stack}`);
  process.exitCode = 1;
});
