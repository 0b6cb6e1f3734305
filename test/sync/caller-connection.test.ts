// CallerConnection on its own: a real socket pair on 127.0.0.1 (the
// connection reads and writes its descriptor, as on the calling thread) and
// a fake WorkerLink standing for the worker thread, so the custody,
// inbox and send rules are checked without the worker.
import { test, describe, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { CallerConnection } from '../../src/sync/caller-connection.js';
import { CUSTODY_BYTES, Custody, move, room, startWithWorker } from '../../src/sync/custody.js';
import { LentSocket } from '../../src/sync/socket-internals.js';
import { Connection } from '../../src/protocol/connection.js';
import { resolveLimits } from '../../src/protocol/limits.js';
import { WebSocketError } from '../../src/protocol/errors.js';
import type { Handover, Request } from '../../src/sync/messages.js';
import { FakeLink, socketPair } from './fakes.js';

/** The worker's part, played on this thread: answers yield, watch, unwatch and release at once. */
class AnsweringLink extends FakeLink<CallerConnection> {
  constructor(private readonly words: Int32Array) {
    super();
  }

  override post(request: Request): void {
    super.post(request);
    switch (request.op) {
      case 'yield':
        move(this.words, 'worker', Custody.WORKER, Custody.FREE);
        this.pending.push({ type: 'yielded', conn: 1, writing: false });
        break;
      case 'watch': // no thread to wait on: "look again"
        this.pending.push({ type: 'read', conn: 1, chunks: [], end: false, watchEnded: true });
        break;
      case 'unwatch':
        this.pending.push({ type: 'unwatched', conn: 1 });
        break;
      case 'release':
        this.pending.push({ type: 'released', conn: 1 });
        break;
    }
  }
}

/** A server's unmasked text frame (payload < 126 bytes). */
const textFrame = (text: string): Buffer => Buffer.concat([Buffer.from([0x81, Buffer.byteLength(text)]), Buffer.from(text)]);

describe('CallerConnection with a socket pair and a fake worker link', () => {
  let server: Server;
  let cleanup: Array<() => void> = [];
  afterEach(() => {
    for (const step of cleanup) step();
    cleanup = [];
  });

  /** A connection over a fresh socket pair: the connection, its fake link and the server's end of the socket. */
  async function open(windows = { receive: 8 << 20, send: 1 << 20 }): Promise<{ conn: CallerConnection; link: AnsweringLink; theirs: Socket; words: Int32Array }> {
    server ??= createServer().listen(0, '127.0.0.1');
    if (!server.listening) await once(server, 'listening');
    const { ours, theirs } = await socketPair(server);
    const taken = LentSocket.take(ours, Buffer.alloc(0), () => {});
    assert.ok(!('unavailable' in taken));
    const words = new Int32Array(new SharedArrayBuffer(CUSTODY_BYTES));
    startWithWorker(words, windows.receive); // as the worker does at the hand-over
    const link = new AnsweringLink(words);
    const limits = resolveLimits({ closeTimeout: 200, pingInterval: 0, maxQueuedBytes: windows.receive, sendHighWaterMark: windows.send });
    const handover: Handover = { fd: taken.lent.fd, rest: new Uint8Array(0), deflate: null, limits };
    const conn = new CallerConnection(link, 1, '127.0.0.1:1', '', handover, words);
    link.conn = conn;
    cleanup.push(() => {
      taken.lent.letGo();
      ours.destroy();
      theirs.destroy();
    });
    return { conn, link, theirs, words };
  }

  /** Lets the socket pair move the bytes written (the test thread blocks in the connection's calls). */
  const settle = () => new Promise((resolve) => setTimeout(resolve, 30));

  test('the first call asks the worker for the socket; then it reads the descriptor itself', async () => {
    const { conn, link, theirs } = await open();
    theirs.write(textFrame('hello'));
    await settle();
    assert.equal(conn.receive(1), 'hello');
    assert.deepEqual(link.requests.map((r) => r.op), ['yield']);
    theirs.write(textFrame('again'));
    await settle();
    assert.equal(conn.receive(1), 'again');
    assert.deepEqual(link.requests.map((r) => r.op), ['yield']); // no thread hop: the socket was free
  });

  test('send writes a masked frame on the descriptor', async () => {
    const { conn, theirs } = await open();
    const got = once(theirs, 'data');
    conn.send('hi there');
    const [bytes] = (await got) as [Buffer];
    const peer = new Connection({ side: 'server' });
    peer.receiveData(bytes);
    assert.deepEqual(peer.takeEvents().filter((e) => e.type === 'message').map((e) => (e as { data: unknown }).data), ['hi there']);
  });

  test('what the worker read comes first, within the receive window, then the socket', async () => {
    const { conn, link, theirs, words } = await open({ receive: 300, send: 1 << 20 });
    // Read by the worker while the script was away: five messages of 100 bytes, a chunk each; then one in the kernel.
    for (let i = 0; i < 5; i++) link.postEvent({ type: 'read', conn: 1, chunks: [textFrame(`${i}`.repeat(100))], end: false, watchEnded: false });
    theirs.write(textFrame('from the socket'));
    await settle();
    assert.equal(conn.receive(0), '0'.repeat(100));
    // Left for the worker: the window less what is held (messages queued, chunks not yet fed), never more.
    assert.ok(room(words) <= 300 - 164, `room ${room(words)}`);
    for (let i = 1; i < 5; i++) assert.equal(conn.receive(0), `${i}`.repeat(100));
    assert.equal(conn.receive(1), 'from the socket');
  });

  test('a Close that arrived while the script was away: send() throws WS_ERR_NOT_OPEN, and the socket goes back to the worker', async () => {
    const { conn, link, theirs } = await open();
    theirs.write(Buffer.from([0x88, 0x02, 0x03, 0xe8]));
    await settle();
    assert.throws(() => conn.send('too late'), (error: unknown) => error instanceof WebSocketError && error.code === 'WS_ERR_NOT_OPEN');
    assert.ok(link.requests.some((r) => r.op === 'release'));
    assert.equal(conn.connected(), false);
  });

  test('a reset while the script was away: send() throws, nothing is reported sent', async () => {
    const { conn, theirs } = await open();
    theirs.resetAndDestroy();
    await settle();
    assert.throws(() => conn.send('lost'), (error: unknown) => error instanceof WebSocketError && ['WS_ERR_NOT_OPEN', 'WS_ERR_CLOSED'].includes(error.code));
    assert.throws(() => conn.send('lost again'), (error: unknown) => error instanceof WebSocketError && error.code === 'WS_ERR_NOT_OPEN');
  });

  test('receive(0) waits for the worker to hand the socket back (a moment, not the call deadline) and sees what it read', async () => {
    const { conn, link } = await open();
    link.postEvent({ type: 'read', conn: 1, chunks: [textFrame('read meanwhile')], end: false, watchEnded: false });
    assert.equal(conn.receive(0), 'read meanwhile');
  });

  test('after the call, the socket is left free at a frame boundary, for the worker to answer Pings', async () => {
    const { conn, words, theirs } = await open();
    theirs.write(textFrame('x'));
    await settle();
    conn.receive(1);
    assert.equal(words[0], Custody.FREE_AT_BOUNDARY);
    // Half a frame read: not at a boundary, the worker must not take over.
    theirs.write(Buffer.from([0x81, 10, 0x61]));
    await settle();
    assert.equal(conn.receive(0), null);
    assert.equal(words[0], Custody.FREE);
  });

  after(() => server?.close());
});
