// The custody word of a caller-run socket, driven as the two threads do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CUSTODY, CUSTODY_BYTES, Custody, ROOM, TRANSITIONS, callerEnters, callerLeaves, entriesSince, move, room, startWithWorker } from '../../src/sync/custody.js';

const words = (): Int32Array => new Int32Array(new SharedArrayBuffer(CUSTODY_BYTES));

test('a connection starts with the worker: the first call must ask for the socket', () => {
  const w = words();
  startWithWorker(w, 8 << 20);
  assert.equal(w[CUSTODY], Custody.WORKER);
  assert.equal(room(w), 8 << 20);
  assert.equal(callerEnters(w), false);
  assert.equal(move(w, 'worker', Custody.WORKER, Custody.FREE), true); // the yield
  assert.equal(move(w, 'caller', Custody.FREE, Custody.CALLER), true);
});

test('a call that ends at a frame boundary lets the worker take over once the caller stays away a tick', () => {
  const w = words();
  startWithWorker(w, 100);
  move(w, 'worker', Custody.WORKER, Custody.FREE);
  assert.equal(callerEnters(w), true);
  callerLeaves(w, true, 50);
  assert.equal(w[CUSTODY], Custody.FREE_AT_BOUNDARY);
  assert.equal(w[ROOM], 50);
  let seen = entriesSince(w, -1);
  assert.equal(seen.idle, false); // a call since the last look: not yet
  seen = entriesSince(w, seen.entries);
  assert.equal(seen.idle, true);
  assert.equal(move(w, 'worker', Custody.FREE_AT_BOUNDARY, Custody.WORKER), true);
  assert.equal(callerEnters(w), false);
});

test('a call that ends mid-frame leaves the socket FREE: the worker cannot take it, the next call can', () => {
  const w = words();
  startWithWorker(w, 100);
  move(w, 'worker', Custody.WORKER, Custody.FREE);
  callerEnters(w);
  callerLeaves(w, false, 100);
  assert.equal(move(w, 'worker', Custody.FREE_AT_BOUNDARY, Custody.WORKER), false);
  assert.equal(w[CUSTODY], Custody.FREE);
  assert.equal(callerEnters(w), true);
});

test('a transition the table does not list throws (a bug), whatever the word holds', () => {
  const w = words();
  assert.throws(() => move(w, 'worker', Custody.FREE, Custody.WORKER), /the worker may not move FREE to WORKER/);
  assert.throws(() => move(w, 'caller', Custody.WORKER, Custody.CALLER), /the caller may not move WORKER to CALLER/);
  assert.throws(() => move(w, 'worker', Custody.CALLER, Custody.FREE), /may not/);
  // Each thread only ever leaves the states it may: the worker never takes the socket from the caller, nor the caller from the worker.
  for (const t of TRANSITIONS) {
    assert.notEqual(t.from, t.by === 'worker' ? Custody.CALLER : Custody.WORKER);
  }
});

test('room is clamped to the word: a window past 2 GiB, or a queue past its window', () => {
  const w = words();
  startWithWorker(w, 2 ** 40);
  assert.equal(room(w), 0x7fffffff);
  move(w, 'worker', Custody.WORKER, Custody.FREE);
  callerEnters(w);
  callerLeaves(w, true, -5);
  assert.equal(room(w), -5);
});
