// HandedSocket on its own: the worker's part of a caller-run connection,
// over a real socket pair on 127.0.0.1 (the server's end plays the peer,
// writing raw frames) with the events it would post to the calling thread
// collected here. No worker thread: its custody word, reads, writes and
// release are checked against what goes over the wire.
import { test, describe, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { HandedSocket } from '../../src/sync/handed-socket.js';
import { CUSTODY, CUSTODY_BYTES, Custody, callerEnters, callerLeaves } from '../../src/sync/custody.js';
import { LentSocket } from '../../src/sync/socket-internals.js';
import { Connection } from '../../src/protocol/connection.js';
import type { Event } from '../../src/sync/messages.js';
import { socketPair } from './fakes.js';

/** A server's unmasked frame (payload < 126 bytes). */
const frame = (opcode: number, payload: string | Buffer): Buffer => {
  const body = Buffer.from(payload);
  return Buffer.concat([Buffer.from([0x80 | opcode, body.length]), body]);
};

/** What the peer (the server's end) parsed of the bytes the handed socket wrote: Pongs and messages, in order. */
function parseAsServer(bytes: Buffer): Array<{ type: string; data: unknown }> {
  const peer = new Connection({ side: 'server' });
  peer.receiveData(bytes);
  return peer.takeEvents().map((event) => ({ type: event.type, data: 'data' in event ? Buffer.from(event.data as Uint8Array).toString() : undefined }));
}

interface Pair {
  handed: HandedSocket;
  words: Int32Array;
  events: Event[];
  theirs: Socket;
  /** Everything the peer has received. */
  received: () => Buffer;
  /** Resolves with the first event posted (since index `from`, 0: since the start) that `match` accepts. */
  next: (match: (event: Event) => boolean, from?: number) => Promise<Event>;
  /** Resolves once the peer has received at least `bytes`. */
  peerGot: (bytes: number) => Promise<Buffer>;
}

describe('HandedSocket with a socket pair (no worker thread)', { timeout: 10_000 }, () => {
  let server: Server;
  let cleanup: Array<() => void> = [];
  before(async () => {
    server = createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
  });
  after(() => server.close());
  afterEach(() => {
    for (const step of cleanup) step();
    cleanup = [];
  });

  async function open(room = 8 << 20, rest: Buffer = Buffer.alloc(0)): Promise<Pair> {
    const { ours, theirs } = await socketPair(server);
    let handed: HandedSocket | null = null;
    const taken = LentSocket.take(ours, rest, () => handed?.onHeldDestroy());
    assert.ok(!('unavailable' in taken), 'this runtime cannot lend a socket (see socket-internals.test.ts)');
    const words = new Int32Array(new SharedArrayBuffer(CUSTODY_BYTES));
    const events: Event[] = [];
    const waiters: Array<() => void> = [];
    const emit = (event: Event) => {
      events.push(event);
      for (const wake of waiters.splice(0)) wake();
    };
    handed = new HandedSocket(1, ours, taken.lent, words, emit, { rest: taken.rest, room });
    let got = Buffer.alloc(0);
    const gotWaiters: Array<() => void> = [];
    theirs.on('data', (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      for (const wake of gotWaiters.splice(0)) wake();
    });
    const next = async (match: (event: Event) => boolean, from = 0): Promise<Event> => {
      for (;;) {
        const found = events.slice(from).find(match);
        if (found !== undefined) return found;
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    };
    const peerGot = async (bytes: number): Promise<Buffer> => {
      while (got.length < bytes) await new Promise<void>((resolve) => gotWaiters.push(resolve));
      return got;
    };
    cleanup.push(() => {
      taken.lent.letGo();
      ours.destroy();
      theirs.destroy();
    });
    return { handed, words, events, theirs, received: () => got, next, peerGot };
  }

  const isRead = (event: Event): event is Extract<Event, { type: 'read' }> => event.type === 'read';
  const readBytes = (events: Event[]): string => Buffer.concat(events.filter(isRead).flatMap((e) => e.chunks.map((c) => Buffer.from(c)))).toString('latin1');

  test('it starts with custody: a Ping sent before the first call is answered on the wire, and its bytes are passed on', async () => {
    const { words, theirs, next, peerGot } = await open();
    assert.equal(words[CUSTODY], Custody.WORKER);
    const ping = frame(0x9, 'are you there');
    theirs.write(ping);
    const read = (await next(isRead)) as Extract<Event, { type: 'read' }>;
    assert.equal(read.watchEnded, false);
    assert.deepEqual(Buffer.from(read.chunks[0]), ping); // the caller's protocol sees the Ping too (and knows it was answered)
    const pong = parseAsServer(await peerGot(2 + 4 + 13));
    assert.deepEqual(pong, [{ type: 'pong', data: 'are you there' }]);
  });

  test('the bytes read past the handshake are answered too (a Ping in the first chunk)', async () => {
    const { peerGot } = await open(8 << 20, frame(0x9, 'early'));
    assert.deepEqual(parseAsServer(await peerGot(2 + 4 + 5)), [{ type: 'pong', data: 'early' }]);
  });

  test('custody reads no more than the room the caller left: the rest stays in the kernel until the caller watches', async () => {
    const { handed, events, theirs, next } = await open(100);
    const first = frame(0x1, 'a'.repeat(120)); // past the room in one chunk: reading stops after it
    theirs.write(first);
    await next(isRead);
    const later = frame(0x1, 'b'.repeat(10));
    await new Promise<void>((resolve) => theirs.write(later, () => resolve()));
    // The peer's write is in our kernel buffer; a handle still reading would post it within a moment.
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(readBytes(events), first.toString('latin1'));
    handed.yield();
    const yielded = await next((e) => e.type === 'yielded');
    assert.deepEqual(yielded, { type: 'yielded', conn: 1, writing: false });
    const from = events.length;
    handed.watch();
    const watched = (await next(isRead, from)) as Extract<Event, { type: 'read' }>;
    assert.equal(watched.watchEnded, true);
    assert.equal(Buffer.from(watched.chunks[0]).toString('latin1'), later.toString('latin1'));
  });

  test('yield hands the word back FREE; the worker takes custody again only after the caller stayed away a whole tick at a frame boundary', async () => {
    const { handed, words, theirs, next, peerGot } = await open();
    handed.yield();
    assert.equal(words[CUSTODY], Custody.FREE);
    assert.ok(callerEnters(words));
    handed.maybeTakeCustody(); // the caller is in a call
    assert.equal(words[CUSTODY], Custody.CALLER);
    callerLeaves(words, false, 1000); // mid-frame: never
    handed.maybeTakeCustody();
    handed.maybeTakeCustody();
    assert.equal(words[CUSTODY], Custody.FREE);
    assert.ok(callerEnters(words));
    callerLeaves(words, true, 1000);
    handed.maybeTakeCustody(); // a call came since the last tick: not yet
    assert.equal(words[CUSTODY], Custody.FREE_AT_BOUNDARY);
    handed.maybeTakeCustody();
    assert.equal(words[CUSTODY], Custody.WORKER);
    // And custody answers Pings again.
    theirs.write(frame(0x9, 'again'));
    await next(isRead);
    assert.deepEqual(parseAsServer(await peerGot(2 + 4 + 5)), [{ type: 'pong', data: 'again' }]);
  });

  test('no custody while the caller has no room left (a window full of unread messages)', async () => {
    const { handed, words } = await open();
    handed.yield();
    assert.ok(callerEnters(words));
    callerLeaves(words, true, 0);
    handed.maybeTakeCustody();
    handed.maybeTakeCustody();
    assert.equal(words[CUSTODY], Custody.FREE_AT_BOUNDARY);
  });

  test("write puts the caller's overflow on the wire in order and reports it written", async () => {
    const { handed, next, peerGot } = await open();
    handed.yield();
    handed.write([Buffer.from('first,'), Buffer.from('second')]);
    handed.write([Buffer.from(',third')]);
    assert.equal((await peerGot(18)).toString(), 'first,second,third');
    const written = await next((e) => e.type === 'written' && e.through === 2);
    assert.deepEqual(written, { type: 'written', conn: 1, through: 2, bytes: 6, idle: true, failed: false });
  });

  test('a reset seen while watching ends the stream for the caller; a write after it is reported failed, and a later watch ends at once', async () => {
    const { handed, events, theirs, next } = await open();
    handed.yield();
    theirs.resetAndDestroy();
    handed.watch(); // the caller sleeps until the next chunk: here the reset
    const end = await next((e) => isRead(e) && e.end);
    assert.deepEqual(end, { type: 'read', conn: 1, chunks: [], end: true, watchEnded: true });
    assert.equal(handed.unwritten, 0);
    handed.write([Buffer.from('lost')]);
    const written = await next((e) => e.type === 'written');
    assert.equal((written as Extract<Event, { type: 'written' }>).failed, true);
    const from = events.length;
    handed.watch();
    assert.deepEqual(events.slice(from), [{ type: 'read', conn: 1, chunks: [], end: true, watchEnded: true }]);
  });

  test('release after the server closed: the socket is destroyed and released at once', async () => {
    const { handed, theirs, next } = await open();
    handed.yield();
    theirs.end();
    handed.watch();
    await next((e) => isRead(e) && e.end);
    handed.release(5000);
    await next((e) => e.type === 'released');
    assert.equal(handed.closed, true);
  });

  test('release waits for the server to close TCP (§7.1.1), dropping what it still sends, then destroys it at waitMs', async () => {
    const { handed, events, theirs, next } = await open();
    handed.yield();
    const before = events.length;
    handed.release(100);
    theirs.write(frame(0x1, 'ignored'));
    const closed = once(theirs, 'close');
    await next((e) => e.type === 'released');
    await closed; // the worker closed it, since the server never did
    assert.equal(events.slice(before).filter(isRead).length, 0);
    assert.equal(handed.closed, true);
  });

  test('release(0) (a connection given up) closes at once', async () => {
    const { handed, theirs, next } = await open();
    const closed = once(theirs, 'end');
    handed.drop();
    await next((e) => e.type === 'released');
    await closed;
  });
});
