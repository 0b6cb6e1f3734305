// The close deadline with numbers only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CloseDeadline } from '../../src/protocol/close-deadline.js';

test('not started: no deadline', () => {
  const d = new CloseDeadline(5000);
  assert.equal(d.isStarted, false);
  assert.equal(d.deadline, Infinity);
  assert.equal(d.remaining(1e9), Infinity);
});

test('started: timeout from the first start; later starts keep it; remaining never below 0', () => {
  const d = new CloseDeadline(5000);
  d.start(1000);
  d.start(3000);
  assert.equal(d.isStarted, true);
  assert.equal(d.deadline, 6000);
  assert.equal(d.remaining(2000), 4000);
  assert.equal(d.remaining(7000), 0);
});

test('no limit (Infinity), and 0 (at once)', () => {
  const forever = new CloseDeadline(Infinity);
  forever.start(10);
  assert.equal(forever.remaining(1e12), Infinity);
  const atOnce = new CloseDeadline(0);
  atOnce.start(10);
  assert.equal(atOnce.remaining(10), 0);
});
