import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageQueue } from '../../src/protocol/message-queue.js';
import { MESSAGE_OVERHEAD } from '../../src/protocol/message-cost.js';

test('messages come out oldest first, and what they cost goes in and out with them (empty ones cost too)', () => {
  const queue = new MessageQueue<string | Uint8Array>();
  assert.equal(queue.isEmpty, true);
  queue.push('abc');
  queue.push(new Uint8Array(0));
  assert.equal(queue.bytes, 3 + MESSAGE_OVERHEAD + 0 + MESSAGE_OVERHEAD);
  assert.equal(queue.take(), 'abc');
  assert.equal(queue.bytes, MESSAGE_OVERHEAD);
  assert.deepEqual(queue.take(), new Uint8Array(0));
  assert.equal(queue.bytes, 0);
  assert.equal(queue.isEmpty, true);
});

test("an owner's own cost (the sync API's binary messages) counts in and out alike", () => {
  const queue = new MessageQueue<string | Uint8Array>((m) => (typeof m === 'string' ? 1 : 1000));
  queue.push('x');
  queue.push(new Uint8Array(5));
  assert.equal(queue.bytes, 1001);
  queue.take();
  assert.equal(queue.bytes, 1000);
});

test('a queue that never quite empties keeps its order through compaction', () => {
  const queue = new MessageQueue<string>();
  let next = 0;
  let expected = 0;
  for (let round = 0; round < 5000; round++) {
    queue.push(String(next++));
    queue.push(String(next++));
    assert.equal(queue.take(), String(expected++));
  }
  while (!queue.isEmpty) assert.equal(queue.take(), String(expected++));
  assert.equal(expected, next);
  assert.equal(queue.bytes, 0);
});
