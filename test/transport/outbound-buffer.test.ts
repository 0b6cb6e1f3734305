import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import net from 'node:net';
import { settlesWithin } from '../helpers.js';
import { OutboundBuffer, COALESCE_BLOCK, COALESCE_LIMIT, type FrameSource, type Writer } from '../../src/transport/outbound-buffer.js';

/** A writer that records each write (and cork/uncork) and holds what the test says is unwritten. */
class FakeWriter extends EventEmitter implements Writer {
  writableLength = 0;
  writable = true;
  destroyed = false;
  errored: Error | null = null;
  readonly log: Array<number | 'cork' | 'uncork'> = [];
  readonly written: Buffer[] = [];

  write(chunk: Uint8Array): boolean {
    this.written.push(Buffer.from(chunk));
    this.log.push(chunk.length);
    return true;
  }

  cork(): void {
    this.log.push('cork');
  }

  uncork(): void {
    this.log.push('uncork');
  }

  drained(length: number): void {
    this.writableLength = length;
    this.emit('drain');
  }
}

/** A frame source the test fills. */
class Frames implements FrameSource {
  private out: Buffer[] = [];

  add(...sizes: number[]): void {
    for (const size of sizes) this.out.push(Buffer.alloc(size, size & 0xff));
  }

  takeOutgoing(): Buffer[] {
    const out = this.out;
    this.out = [];
    return out;
  }
}

function setup(highWaterMark = 1024, backlogLimit = Infinity) {
  const writer = new FakeWriter();
  const frames = new Frames();
  let written = 0;
  const buffer = new OutboundBuffer(writer, frames, { highWaterMark, backlogLimit }, { updateReading: () => written++ });
  return { writer, frames, buffer, writtenCalls: () => written };
}

test('frames sent in one tick go out together on the next, in order', async () => {
  const { writer, frames, buffer, writtenCalls } = setup();
  frames.add(3);
  await buffer.flushSoon();
  frames.add(4);
  await buffer.flushSoon();
  assert.deepEqual(writer.log, [], 'nothing written within the tick');
  assert.equal(buffer.bufferedAmount, 7);
  await new Promise((resolve) => process.nextTick(resolve));
  assert.deepEqual(writer.log, [7], 'two small frames, one write');
  assert.deepEqual(Buffer.concat(writer.written), Buffer.concat([Buffer.alloc(3, 3), Buffer.alloc(4, 4)]));
  assert.equal(buffer.bufferedAmount, 0);
  assert.equal(writtenCalls(), 1);
});

test('a single frame is written as it is, whatever its size', () => {
  const { writer, frames, buffer } = setup();
  frames.add(100_000);
  buffer.flush();
  assert.deepEqual(writer.log, [100_000]);
});

test('up to COALESCE_LIMIT in all, the frames are joined into one write without cork', () => {
  const { writer, frames, buffer } = setup();
  frames.add(COALESCE_LIMIT - 10, 10);
  buffer.flush();
  assert.deepEqual(writer.log, [COALESCE_LIMIT]);
});

test('beyond it, small frames are joined into blocks of at most COALESCE_BLOCK and large ones go alone, corked', () => {
  const { writer, frames, buffer } = setup();
  const small = 1000;
  const perBlock = Math.floor(COALESCE_BLOCK / small);
  // A run longer than one block, a large frame, a frame just under the limit, then one small frame at the end.
  frames.add(...Array<number>(perBlock + 5).fill(small), COALESCE_LIMIT, COALESCE_LIMIT - 1, small);
  buffer.flush();
  assert.deepEqual(writer.log, [
    'cork',
    perBlock * small,
    5 * small,
    COALESCE_LIMIT,
    COALESCE_LIMIT - 1 + small,
    'uncork',
  ]);
  const total = (perBlock + 6) * small + COALESCE_LIMIT + COALESCE_LIMIT - 1;
  assert.equal(Buffer.concat(writer.written).length, total, 'every byte once');
});

test('a large frame ends a run; a lone small frame between large ones is written as it is', () => {
  const { writer, frames, buffer } = setup();
  frames.add(COALESCE_LIMIT * 2, 100, 1, COALESCE_LIMIT - 1, COALESCE_LIMIT, 7, COALESCE_LIMIT);
  buffer.flush();
  assert.deepEqual(writer.log, [
    'cork', COALESCE_LIMIT * 2, 100 + 1 + COALESCE_LIMIT - 1, COALESCE_LIMIT, 7, COALESCE_LIMIT, 'uncork',
  ]);
});

test('runs of small frames stop at COALESCE_BLOCK exactly', () => {
  const { writer, frames, buffer } = setup();
  const quarter = COALESCE_BLOCK / 4 - 1; // under COALESCE_LIMIT
  frames.add(quarter, quarter, quarter, quarter, 4, 1);
  buffer.flush();
  assert.deepEqual(writer.log, ['cork', COALESCE_BLOCK, 1, 'uncork']);
});

test('over the high-water mark a send waits for drain, and resolves once below it', async () => {
  const { writer, frames, buffer, writtenCalls } = setup(100);
  frames.add(50);
  await buffer.flushSoon();
  assert.equal(buffer.sendWaits, false);
  frames.add(51);
  let resolved = false;
  const waiting = buffer.flushSoon().then(() => {
    resolved = true;
  });
  assert.equal(buffer.sendWaits, true);
  writer.writableLength = 101; // the kernel took none of it
  buffer.flush();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(resolved, false, 'still over the mark after the flush');
  writer.drained(101); // a drain that leaves it over the mark: keeps waiting
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(resolved, false);
  const before = writtenCalls();
  writer.drained(0);
  await waiting;
  assert.equal(writtenCalls(), before + 1, 'the drain is reported');
  assert.equal(writer.listenerCount('drain'), 0, 'no listener left behind');
});

test('a flush that leaves more than the backlog limit unwritten watches for drain, to resume reading then', () => {
  const { writer, frames, buffer, writtenCalls } = setup(Infinity, 100);
  frames.add(10);
  writer.writableLength = 100;
  buffer.flush();
  assert.equal(writer.listenerCount('drain'), 0, 'at the limit: no need');
  assert.equal(writtenCalls(), 1, 'the listener hears of every flush');
  frames.add(10);
  writer.writableLength = 101;
  buffer.flush();
  buffer.flush();
  assert.equal(writer.listenerCount('drain'), 1, 'over it: one listener, however many flushes');
  writer.drained(0);
  assert.equal(writtenCalls(), 3, 'and of the drain (a flush with nothing to write tells nobody)');
  assert.equal(writer.listenerCount('drain'), 0);
});

test('a flush that leaves the writer under the mark resolves the waiting sends at once', async () => {
  const { frames, buffer } = setup(100);
  frames.add(200);
  const waiting = buffer.flushSoon();
  buffer.flush(); // the fake writer keeps nothing unwritten
  assert.equal(await settlesWithin(waiting, 1), true, 'the waiting send resolved on the next turn');
});

test('close rejects the sends waiting for drain with its reason, and nothing more is written', async () => {
  const { writer, frames, buffer } = setup(10);
  frames.add(20);
  const waiting = buffer.flushSoon();
  const waiting2 = buffer.flushSoon();
  let asked = 0;
  buffer.close(() => {
    asked++;
    return new Error('closed with 1001');
  });
  await assert.rejects(waiting, /closed with 1001/);
  await assert.rejects(waiting2, /closed with 1001/);
  assert.equal(asked, 1, 'one error for all of them');
  frames.add(5);
  await buffer.flushSoon();
  buffer.flush();
  assert.deepEqual(writer.log, [], 'the pending frames were dropped');
  buffer.close(() => assert.fail('no one waits: the reason is not asked for'));
});

test('a destroyed writer takes no writes and a drain after its failure resolves nobody', async () => {
  const { writer, frames, buffer } = setup(10);
  frames.add(20);
  let settled = false;
  void buffer.flushSoon().then(() => {
    settled = true;
  }, () => {
    settled = true;
  });
  writer.errored = new Error('EPIPE');
  writer.destroyed = true;
  buffer.flush();
  writer.drained(0);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(writer.log, []);
  assert.equal(settled, false, 'left for close to reject');
  buffer.close(() => new Error('gone'));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(settled, true);
});

test('over a real socket: sends wait while the peer does not read and resume when it does', async () => {
  let peer: net.Socket | undefined;
  const server = net.createServer((socket) => {
    peer = socket;
    socket.pause();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await once(socket, 'connect');
  const frames = new Frames();
  const buffer = new OutboundBuffer(socket, frames, { highWaterMark: 64 * 1024, backlogLimit: Infinity }, { updateReading: () => {} });
  let sent = 0;
  const sends: Promise<void>[] = [];
  // Until the kernel's buffers are full and the socket keeps more than the mark.
  while (socket.writableLength <= 64 * 1024) {
    frames.add(256 * 1024);
    sent += 256 * 1024;
    sends.push(buffer.flushSoon());
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.equal(buffer.sendWaits, true);
  let resolved = false;
  const waiting = Promise.all(sends).then(() => {
    resolved = true;
  });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(resolved, false, 'waits while the peer does not read');
  let received = 0;
  peer!.on('data', (chunk: Buffer) => {
    received += chunk.length;
  });
  peer!.resume();
  await waiting;
  assert.ok(buffer.bufferedAmount <= 64 * 1024, `${buffer.bufferedAmount} unwritten`);
  socket.end();
  await once(peer!, 'end');
  assert.equal(received, sent, 'every byte arrived');
  server.close();
});
