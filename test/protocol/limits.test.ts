import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseByteSize, resolveLimits } from '../../src/protocol/limits.js';

test('sizes as written on a command line: bytes, or k/m/g (binary), case-insensitive', () => {
  assert.equal(parseByteSize('65536'), 65536);
  assert.equal(parseByteSize('64k'), 65536);
  assert.equal(parseByteSize('64 KiB'), 65536);
  assert.equal(parseByteSize('16m'), 16 * 1024 * 1024);
  assert.equal(parseByteSize('1.5M'), 1.5 * 1024 * 1024);
  assert.equal(parseByteSize('2g'), 2 * 1024 ** 3);
  for (const bad of ['', '0', '-1', 'k', '12 parsecs', '1e3', 'Infinity', '0.1']) assert.equal(parseByteSize(bad), null, bad);
});

test('resolveLimits: every field present, in bytes and ms, the engine defaults where none is given', () => {
  assert.deepEqual(resolveLimits({}), {
    maxMessageSize: 64 * 1024 * 1024,
    closeTimeout: 5000,
    maxQueuedBytes: 16 * 1024 * 1024,
    sendHighWaterMark: 1024 * 1024,
    keepalive: { interval: 20_000, timeout: 20_000 },
  });
});

test('resolveLimits: "off" is Infinity from here on, whether the option said 0 or Infinity; 0 stays 0 where it is a real value', () => {
  const limits = resolveLimits({ pingInterval: 0, pingTimeout: Infinity, closeTimeout: 0, maxMessageSize: Infinity });
  assert.deepEqual(limits.keepalive, { interval: Infinity, timeout: Infinity });
  assert.equal(limits.closeTimeout, 0);
  assert.equal(limits.maxMessageSize, Infinity);
});

test("resolveLimits: an entry's own defaults (the sync API's 8 MiB receive window) come before the engine's, the options before both", () => {
  const sync = { maxQueuedBytes: 8 * 1024 * 1024 };
  assert.equal(resolveLimits({}, sync).maxQueuedBytes, 8 * 1024 * 1024);
  assert.equal(resolveLimits({ maxQueuedBytes: 4096 }, sync).maxQueuedBytes, 4096);
  assert.equal(resolveLimits({}, sync).sendHighWaterMark, 1024 * 1024);
});

test('resolveLimits: a bad value is a RangeError naming the option', () => {
  for (const [name, bad] of [['maxMessageSize', -1], ['maxQueuedBytes', 1.5], ['sendHighWaterMark', NaN], ['closeTimeout', -5], ['pingInterval', NaN], ['pingTimeout', '1000']] as const) {
    assert.throws(() => resolveLimits({ [name]: bad } as never), (e: Error) => e instanceof RangeError && e.message.startsWith(name), name);
  }
});
