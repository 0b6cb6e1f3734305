// Proves the robustness scripts run end to end on small sizes (they are not
// part of CI at full size). It asserts that they ran and printed figures,
// never the figures themselves: those live in the README.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { ROOT } from './helpers.js';

const run = async (script: string, ...args: string[]): Promise<string> =>
  (await promisify(execFile)(process.execPath, ['--expose-gc', join(ROOT, script), ...args], { encoding: 'utf8', timeout: 120_000 })).stdout;

describe('robustness scripts', () => {
  test('fuzz.mjs: a seeded run through the worker prints its summary and passes', async () => {
    const out = await run('scripts/fuzz.mjs', '--seed', '4', '--count', '300');
    assert.match(out, /inputs {3}300 in/);
    assert.match(out, /failures 0/);
    const replay = await run('scripts/fuzz.mjs', '--seed', '4', '--replay', '7');
    assert.match(replay, /seed 4 input 7 \([\w-]+\): passes/);
  });

  test('soak.mjs: a short soak reports start, peak and end', async () => {
    const out = await run('bench/soak.mjs', '--messages', '2000', '--clients', '4');
    assert.match(out, /soak: 2,000 messages .* from 4 clients/);
    assert.match(out, /\| heap used \| [\d.]+ \| [\d.]+ \| [\d.]+ \|/);
  });

  test('idle-memory.mjs and amplification.mjs print their tables', async () => {
    assert.match(await run('bench/idle-memory.mjs', '--connections', '20'), /\| binding, handler in receive\(None\) \| -?[\d.]+ \|/);
    assert.match(await run('bench/amplification.mjs', '--only', 'E'), /\| E\. uncompressed 1 MiB binary, binding echo \| 1\.0 MiB \| [\d.]+ MiB \| .* \| echoed \|/);
  });
});
