import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseByteSize } from '../../src/protocol/limits.js';

test('sizes as written on a command line: bytes, or k/m/g (binary), case-insensitive', () => {
  assert.equal(parseByteSize('65536'), 65536);
  assert.equal(parseByteSize('64k'), 65536);
  assert.equal(parseByteSize('64 KiB'), 65536);
  assert.equal(parseByteSize('16m'), 16 * 1024 * 1024);
  assert.equal(parseByteSize('1.5M'), 1.5 * 1024 * 1024);
  assert.equal(parseByteSize('2g'), 2 * 1024 ** 3);
  for (const bad of ['', '0', '-1', 'k', '12 parsecs', '1e3', 'Infinity', '0.1']) assert.equal(parseByteSize(bad), null, bad);
});
