// Proves the benchmark harness runs (raw TCP and our engine only, so no
// network install is needed). It asserts that it ran and produced numbers,
// never a speed: speeds live in `npm run bench` and the README.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './helpers.js';

test('npm run bench -- --quick runs and writes its results', () => {
  const out = execFileSync(process.execPath, [join(ROOT, 'bench', 'run.mjs'), '--quick', '--only', 'raw,ours'], { encoding: 'utf8', timeout: 240_000 });
  assert.match(out, /\| 64 B binary pingpong \| msg\/s \|/);
  const results = JSON.parse(readFileSync(join(ROOT, 'bench', 'results', 'quick.json'), 'utf8'));
  assert.ok(results.throughput.length >= 4);
  for (const row of results.throughput) {
    assert.ok(row.pairs['ours→ours'] > 0, `${row.workload}: ours ran`);
    assert.ok(row.pairs['raw→raw'] > 0, `${row.workload}: raw ran`);
  }
  assert.ok(results.memory.some((m: { impl: string }) => m.impl === 'ours'));
  assert.match(out, /\| 64 B, messages delivered\/s \| [\d,]+ \|/, 'the fan-out workload ran');
  assert.ok(results.fanout.some((r: { impl: string; perSecond: number }) => r.impl === 'ours' && r.perSecond > 0));
  assert.match(out, /\| one publish → 50 subscribers, delivered\/s \| one process \| workers: 2 \|/, 'the topics workload ran');
  for (const name of ['one process', 'workers: 2']) {
    assert.ok(results.topics.rows.some((r: { name: string; perSecond: number }) => r.name === name && r.perSecond > 0), `topics: ${name} ran`);
  }
  assert.ok(results.topics.mem.perConnectionKiB > 0);
});
