// The byte count of one IPC channel: what passes, what is skipped, when it reports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IpcBacklog } from '../../../src/transport/cluster/ipc-backlog.js';

/** A channel whose writes complete only when the test says so. */
function channel(highWaterMark: number) {
  const sent: unknown[] = [];
  const completions: Array<(error: Error | null) => void> = [];
  const overflows: number[] = [];
  const backlog = new IpcBacklog((message, written) => {
    sent.push(message);
    completions.push(written);
  }, { highWaterMark, onOverflow: (pending) => overflows.push(pending) });
  const complete = (count: number) => completions.splice(0, count).forEach((written) => written(null));
  return { backlog, sent, overflows, complete };
}

test('messages pass up to the high-water mark; past it they are skipped and counted, and the overflow is told once', () => {
  const { backlog, sent, overflows } = channel(100);
  assert.equal(backlog.offer('a', 60), true);
  assert.equal(backlog.offer('b', 40), true);
  assert.equal(backlog.pendingBytes, 100);
  assert.equal(backlog.offer('c', 1), false);
  assert.equal(backlog.offer('d', 50), false);
  assert.deepEqual(sent, ['a', 'b']);
  assert.equal(backlog.skipped, 2);
  assert.deepEqual(overflows, [100], 'told once, with what waits');
});

test('written messages free their bytes; once drained, a new overflow is told again', () => {
  const { backlog, sent, overflows, complete } = channel(100);
  backlog.offer('a', 80);
  assert.equal(backlog.offer('b', 30), false);
  complete(1);
  assert.equal(backlog.pendingBytes, 0);
  assert.equal(backlog.offer('c', 30), true, 'room again after the write');
  assert.equal(backlog.offer('d', 80), false);
  assert.deepEqual(overflows, [80, 30], 'a second episode after draining');
  assert.deepEqual(sent, ['a', 'c']);
});

test('an empty channel takes one message however large: the limit bounds the backlog, not a message', () => {
  const { backlog, sent } = channel(10);
  assert.equal(backlog.offer('big', 1000), true);
  assert.equal(backlog.offer('small', 1), false);
  assert.deepEqual(sent, ['big']);
});

test('Infinity: nothing is ever skipped', () => {
  const { backlog, overflows } = channel(Infinity);
  for (let i = 0; i < 1000; i++) assert.equal(backlog.offer(i, 1 << 20), true);
  assert.equal(backlog.pendingBytes, 1000 * (1 << 20));
  assert.deepEqual(overflows, []);
});
