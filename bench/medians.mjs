#!/usr/bin/env node
// The issue-21 targets as the median of several full runs: `node bench/medians.mjs run1.json run2.json run3.json`
// (each a bench/results/latest.json copied after an `npm run bench`). One run says little on a shared machine:
// this prints, per row, each run's figure and the median, for ours/ws, binding/ws and ours/raw.
import { readFileSync } from 'node:fs';

const runs = process.argv.slice(2).map((file) => JSON.parse(readFileSync(file, 'utf8')));
if (runs.length === 0) {
  console.error('usage: node bench/medians.mjs RESULTS.json [RESULTS.json …]');
  process.exit(2);
}
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const row = (label, values) => values.every(Number.isFinite) && console.log(`| ${label} | ${values.map((v) => v.toFixed(2)).join(' · ')} | **${median(values).toFixed(2)}** |`);

console.log(`runs: ${runs.map((r) => `${r.commit} ${r.date}`).join('; ')}\n`);
console.log('| ratio | each run | median |\n|---|---|---:|');
for (const { workload, size, type } of runs[0].throughput) {
  const pairs = runs.map((r) => r.throughput.find((t) => t.workload === workload)?.pairs).filter(Boolean);
  const ratio = (a, b) => pairs.map((p) => p[a] / p[b]);
  row(`${workload}: ours / ws`, ratio('ours→ours', 'ws→ws'));
  // The binding's large binary messages are lists of numbers (its own floor, a table of npm run bench): not a ws race.
  if (type === 'text' || size <= 64) row(`${workload}: binding / ws`, ratio('binding→binding', 'ws→ws'));
  row(`${workload}: ours / raw`, ratio('ours→ours', 'raw→raw'));
}
for (const { count } of runs[0].memory.filter((m) => m.impl === 'ours' && !m.message)) {
  const per = (impl, key) => runs.map((r) => r.memory.find((m) => m.impl === impl && m.count === count && !m.message)[key]);
  const ours = per('ours', 'rss');
  const ws = per('ws', 'rss');
  row(`idle RSS KiB per connection at ${count}: ours`, ours);
  row(`idle RSS KiB per connection at ${count}: ws`, ws);
  row(`idle RSS at ${count}: ours / ws`, ours.map((o, i) => o / ws[i]));
  const wsHeap = per('ws', 'heap');
  row(`idle heap+external at ${count}: ours / ws`, per('ours', 'heap').map((o, i) => o / wsHeap[i]));
}
