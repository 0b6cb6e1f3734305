import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { InboundQueue, type Readable } from '../../src/transport/inbound-queue.js';

/** A socket that records what the queue asked of it, with as much unwritten output as the test says. */
function recordingFlow(): Readable & { calls: string[]; writableLength: number } {
  const flow = {
    calls: [] as string[],
    writableLength: 0,
    pause: () => flow.calls.push('pause'),
    resume: () => flow.calls.push('resume'),
  };
  return flow;
}

/** Cost of one queued message beyond its bytes (see messageSize). */
const OVERHEAD = 64;

test('a receive waiting before the message gets it directly, nothing is queued', async () => {
  const queue = new InboundQueue(1024, recordingFlow());
  const pending = queue.receive(Infinity);
  queue.push('hello');
  assert.equal(await pending, 'hello');
  assert.equal(queue.bytes, 0);
  assert.equal(queue.hasMessages, false);
});

test('a message before the receive waits in the queue, counted with its overhead, and comes out in order', async () => {
  const queue = new InboundQueue(1024, recordingFlow());
  queue.push('one');
  queue.push(Buffer.from([1, 2]));
  assert.equal(queue.bytes, 3 + 2 + 2 * OVERHEAD);
  assert.equal(queue.hasMessages, true);
  assert.equal(await queue.receive(Infinity), 'one');
  assert.deepEqual(queue.take(), Buffer.from([1, 2]));
  assert.equal(queue.bytes, 0);
  assert.equal(queue.take(), null, 'take on an empty queue is null');
});

test('several pending receives are served oldest first', async () => {
  const queue = new InboundQueue(1024, recordingFlow());
  const first = queue.receive(Infinity);
  const second = queue.receive(Infinity);
  const third = queue.receive(Infinity);
  queue.push('a');
  queue.push('b');
  queue.push('c');
  assert.deepEqual(await Promise.all([first, second, third]), ['a', 'b', 'c']);
});

test('a receive that times out resolves null and the message that comes later is not lost', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const queue = new InboundQueue(1024, recordingFlow());
    const first = queue.receive(100);
    const second = queue.receive(Infinity);
    const third = queue.receive(300);
    mock.timers.tick(100);
    assert.equal(await first, null);
    mock.timers.tick(200);
    assert.equal(await third, null, 'a timed-out waiter behind the first leaves the line too');
    queue.push('late');
    assert.equal(await second, 'late');
    queue.push('kept');
    assert.equal(await queue.receive(50), 'kept');
  } finally {
    mock.timers.reset();
  }
});

test('a served waiter\'s timer is cleared: it never resolves twice nor steals the next message', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const queue = new InboundQueue(1024, recordingFlow());
    const served = queue.receive(100);
    queue.push('now');
    mock.timers.tick(200);
    assert.equal(await served, 'now');
    queue.push('next');
    assert.equal(queue.take(), 'next');
  } finally {
    mock.timers.reset();
  }
});

test('0 polls: null at once on an empty queue, the message when one is there', async () => {
  const queue = new InboundQueue(1024, recordingFlow());
  assert.equal(await queue.receive(0), null);
  queue.push('x');
  assert.equal(await queue.receive(0), 'x');
});

test('end wakes every pending receive with null; later receives drain the queue, then get null', async () => {
  const queue = new InboundQueue(1024, recordingFlow());
  const waiting = [queue.receive(Infinity), queue.receive(Infinity)];
  queue.end();
  assert.deepEqual(await Promise.all(waiting), [null, null]);
  const ended = new InboundQueue(1024, recordingFlow());
  ended.push('last');
  ended.end();
  assert.equal(await ended.receive(Infinity), 'last');
  assert.equal(await ended.receive(Infinity), null, 'no wait after the end');
});

test('reading pauses once over the limit and resumes only at half of it', () => {
  const flow = recordingFlow();
  const queue = new InboundQueue(4 * OVERHEAD, flow);
  for (let i = 0; i < 4; i++) queue.push('');
  assert.deepEqual(flow.calls, [], 'exactly at the limit is not over it');
  queue.push('');
  assert.deepEqual(flow.calls, ['pause']);
  assert.equal(queue.isPaused, true);
  queue.push('');
  assert.deepEqual(flow.calls, ['pause'], 'paused once');
  for (let i = 0; i < 3; i++) queue.take();
  assert.equal(queue.bytes, 3 * OVERHEAD);
  assert.deepEqual(flow.calls, ['pause'], 'still above half');
  queue.take();
  assert.deepEqual(flow.calls, ['pause', 'resume'], 'at half');
  assert.equal(queue.isPaused, false);
});

test('an output backlog keeps reading paused even with an empty queue, until it is gone', () => {
  const flow = recordingFlow();
  const queue = new InboundQueue(1024, flow);
  flow.writableLength = 1024;
  queue.updateReading();
  assert.deepEqual(flow.calls, [], 'exactly at the limit is not over it');
  flow.writableLength = 1025;
  queue.updateReading();
  assert.deepEqual(flow.calls, ['pause']);
  queue.push('x');
  queue.take();
  assert.deepEqual(flow.calls, ['pause'], 'the queue is empty but the output is not');
  flow.writableLength = 0;
  queue.updateReading();
  assert.deepEqual(flow.calls, ['pause', 'resume']);
  queue.updateReading();
  assert.deepEqual(flow.calls, ['pause', 'resume'], 'nothing to do when neither is over');
});

test('a queued small view of a big chunk is copied, a view filling its chunk is kept', () => {
  const queue = new InboundQueue(1 << 20, recordingFlow());
  const chunk = Buffer.alloc(4096, 7);
  queue.push(chunk.subarray(0, 10));
  queue.push(chunk.subarray(0, 4000));
  const small = queue.take() as Buffer;
  const big = queue.take() as Buffer;
  assert.equal(small.buffer === chunk.buffer, false, 'the small one no longer holds the chunk');
  assert.deepEqual(small, Buffer.alloc(10, 7));
  assert.equal(big.buffer, chunk.buffer, 'the big one is not copied');
});

test('a queue that never quite empties is compacted and keeps its order', () => {
  const queue = new InboundQueue(Infinity, recordingFlow());
  let next = 0;
  let expected = 0;
  for (let round = 0; round < 3000; round++) {
    queue.push(String(next++));
    queue.push(String(next++));
    assert.equal(queue.take(), String(expected++));
  }
  while (queue.hasMessages) assert.equal(queue.take(), String(expected++));
  assert.equal(expected, next);
  assert.equal(queue.bytes, 0);
});
