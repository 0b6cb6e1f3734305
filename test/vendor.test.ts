// vendor/ is committed so that a clone or one downloaded file is enough (no npm, no build); these tests keep it
// equal to what `npm run vendor` builds from src/ now, so it never drifts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './helpers.js';

const run = promisify(execFile);
const VENDOR = join(ROOT, 'vendor');

test('vendor/ holds the same bytes as a fresh `npm run vendor` (else: run it and commit vendor/)', { timeout: 180_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'sws-vendor-'));
  try {
    await run(process.execPath, [join(ROOT, 'scripts', 'vendor.mjs'), '--out', out], { cwd: ROOT });
    assert.deepEqual(readdirSync(VENDOR).sort(), readdirSync(out).sort());
    for (const file of readdirSync(out)) {
      assert.ok(readFileSync(join(out, file)).equals(readFileSync(join(VENDOR, file))), `vendor/${file} is stale: run npm run vendor`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('vendor/SHA256SUMS lists every other file of vendor/ with its checksum', () => {
  const lines = readFileSync(join(VENDOR, 'SHA256SUMS'), 'utf8').trimEnd().split('\n');
  const listed = lines.map((line) => {
    const [sum, file] = line.split('  ');
    assert.equal(createHash('sha256').update(readFileSync(join(VENDOR, file))).digest('hex'), sum, file);
    return file;
  });
  assert.deepEqual(listed.sort(), readdirSync(VENDOR).filter((file) => file !== 'SHA256SUMS').sort());
});

test('the one-file build is one ES module that imports node: built-ins only, and its CommonJS twin requires no more', () => {
  const esm = readFileSync(join(VENDOR, 'scriptling-websocket.mjs'), 'utf8');
  const imported = [...esm.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]);
  assert.ok(imported.length > 0);
  assert.deepEqual(imported.filter((name) => !name.startsWith('node:')), []);
  const cjs = readFileSync(join(VENDOR, 'scriptling-websocket.cjs'), 'utf8');
  const required = [...cjs.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
  assert.deepEqual(required.filter((name) => !name.startsWith('node:')), []);
});
