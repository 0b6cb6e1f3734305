// The keepalive policy with numbers only: times in, decisions out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Keepalive } from '../../src/protocol/keepalive.js';

const wait = (at: number) => ({ action: 'wait', at });
const PING = { action: 'ping' };
const FAIL = { action: 'fail' };

test('a Ping interval after the open; the next interval after its Pong', () => {
  const k = new Keepalive({ interval: 1000, timeout: 500 }, 100);
  assert.deepEqual(k.check(100), wait(1100));
  assert.deepEqual(k.check(1099), wait(1100));
  assert.deepEqual(k.check(1100), PING);
  k.pingSent(1100);
  assert.deepEqual(k.check(1200), wait(1600));
  k.answered(1300);
  assert.deepEqual(k.check(1300), wait(2300));
  assert.deepEqual(k.check(2400), PING);
});

test('no Pong and no byte within the timeout: fail, once, then nothing more', () => {
  const k = new Keepalive({ interval: 1000, timeout: 500 }, 0);
  assert.deepEqual(k.check(1000), PING);
  k.pingSent(1000);
  assert.deepEqual(k.check(1499), wait(1500));
  assert.deepEqual(k.check(1500), FAIL);
  assert.deepEqual(k.check(5000), wait(Infinity));
});

test('bytes heard since the Ping (a long message delays the Pong) give another timeout; so does paused reading', () => {
  const k = new Keepalive({ interval: 1000, timeout: 500 }, 0);
  k.check(1000);
  k.pingSent(1000);
  k.heard();
  assert.deepEqual(k.check(1500), wait(2000));
  assert.deepEqual(k.check(2000), FAIL); // heard only before the first timeout: now it fails
  const paused = new Keepalive({ interval: 1000, timeout: 500 }, 0);
  paused.check(1000);
  paused.pingSent(1000);
  assert.deepEqual(paused.check(1500, true), wait(2000));
  assert.deepEqual(paused.check(2000, true), wait(2500));
  assert.deepEqual(paused.check(2500, false), FAIL);
});

test('bytes heard before the Ping do not count for it', () => {
  const k = new Keepalive({ interval: 1000, timeout: 500 }, 0);
  k.heard();
  assert.deepEqual(k.check(1000), PING);
  k.pingSent(1000);
  assert.deepEqual(k.check(1500), FAIL);
});

test('off: interval Infinity never pings; timeout Infinity waits forever for the Pong', () => {
  const off = new Keepalive({ interval: Infinity, timeout: 500 }, 0);
  assert.deepEqual(off.check(1e12), wait(Infinity));
  const patient = new Keepalive({ interval: 1000, timeout: Infinity }, 0);
  assert.deepEqual(patient.check(1000), PING);
  patient.pingSent(1000);
  assert.deepEqual(patient.check(1e12), wait(Infinity));
});

test('stopped (the connection is closing): no Ping, no failure', () => {
  const k = new Keepalive({ interval: 1000, timeout: 500 }, 0);
  k.check(1000);
  k.pingSent(1000);
  k.stop();
  assert.deepEqual(k.check(9000), wait(Infinity));
});
