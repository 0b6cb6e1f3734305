// The Node internals the sync API relies on to run ws:// sockets on the
// calling thread, checked on the runtime running the tests: if a Node
// version changes them, these tests say which one, instead of the sync
// tests hanging or the worker dying. And where they are missing, the sync
// API runs the socket in the worker by itself.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { readSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LentSocket, forceInternalsUnavailable, whyNotHandable } from '../../src/sync/socket-internals.js';
import * as ws from '../../src/sync/index.js';
import { HERE, startSeedPeer, type SeedPeer } from './peers.js';

/** A connected TCP pair on 127.0.0.1: ours (the client end) and the server's end. */
async function socketPair(server: Server): Promise<{ ours: Socket; theirs: Socket }> {
  const accepted = once(server, 'connection');
  const ours = connect((server.address() as { port: number }).port, '127.0.0.1');
  await once(ours, 'connect');
  const [theirs] = (await accepted) as [Socket];
  const errors: Error[] = [];
  for (const socket of [ours, theirs]) socket.on('error', (error) => errors.push(error)); // resets are what some tests do
  return { ours, theirs };
}

/** Reads the descriptor until `bytes` have come, as the calling thread does (the socket is non-blocking: EAGAIN until they arrive). */
async function readFd(fd: number, bytes: number): Promise<string> {
  const buffer = Buffer.alloc(bytes);
  let got = 0;
  const deadline = performance.now() + 5000;
  while (got < bytes) {
    try {
      got += readSync(fd, buffer, got, bytes - got, null);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      assert.ok(performance.now() < deadline, 'nothing could be read from the lent descriptor');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
  return buffer.toString();
}

describe('socket internals (Node ' + process.version + ')', () => {
  let server: Server;
  before(async () => {
    server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
  });
  after(() => server.close());

  test('a plain TCP socket has every internal the calling thread needs', async () => {
    const { ours, theirs } = await socketPair(server);
    // The reason names the internal that is missing or changed.
    assert.equal(whyNotHandable(ours), null);
    ours.destroy();
    theirs.destroy();
  });

  test('a lent socket: its descriptor is read directly, Node reads only when told, and it closes once let go', async () => {
    const { ours, theirs } = await socketPair(server);
    const taken = LentSocket.take(ours, Buffer.from('rest'), () => {});
    assert.ok(!('unavailable' in taken), 'unavailable' in taken ? taken.unavailable : '');
    const { lent, rest } = taken;
    assert.equal(rest.toString(), 'rest');
    const chunks: string[] = [];
    ours.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
    ours.resume();
    theirs.write('direct');
    assert.equal(await readFd(lent.fd, 6), 'direct');
    assert.deepEqual(chunks, []); // Node did not read meanwhile
    lent.startReading();
    theirs.write('by node');
    await once(ours, 'data');
    assert.deepEqual(chunks, ['by node']);
    lent.stopReading();
    assert.equal(lent.letGo(), false); // no destroy was held
    ours.destroy();
    await once(ours, 'close');
    theirs.destroy();
  });

  test("a reset while lent: Node's destroy waits (the descriptor stays open) until let go", async () => {
    const { ours, theirs } = await socketPair(server);
    let held = 0;
    const taken = LentSocket.take(ours, Buffer.alloc(0), () => held++);
    assert.ok(!('unavailable' in taken));
    const { lent } = taken;
    ours.on('error', () => {});
    ours.resume();
    lent.startReading();
    theirs.resetAndDestroy();
    await new Promise<void>((resolve) => {
      const check = () => (held > 0 ? resolve() : setTimeout(check, 5));
      check();
    });
    assert.equal(lent.destroyHeld, true);
    assert.equal(ours.closed, false);
    const closed = new Promise((resolve) => ours.once('close', resolve)); // after its 'error' (events.once would reject at that)
    assert.equal(lent.letGo(), true);
    await closed;
  });

  test('forced unavailable (as on Bun): nothing is touched and the reason is given', async () => {
    const { ours, theirs } = await socketPair(server);
    forceInternalsUnavailable('handle.readStop is not a function (forced)');
    try {
      assert.deepEqual(LentSocket.take(ours, Buffer.alloc(0), () => {}), { unavailable: 'handle.readStop is not a function (forced)' });
    } finally {
      forceInternalsUnavailable(null);
    }
    theirs.write('still flowing');
    const [chunk] = (await once(ours, 'data')) as [Buffer];
    assert.equal(chunk.toString(), 'still flowing');
    ours.destroy();
    theirs.destroy();
  });
});

describe('sync API on a runtime without the internals', () => {
  let peer: SeedPeer;
  before(async () => {
    peer = await startSeedPeer('ours');
  });
  after(() => peer.stop());

  test("ws:// falls back to running the socket in the worker by itself: it works, no WorkerDiedError", () => {
    const worker = new ws.SyncWorker({ engineFile: pathToFileURL(join(HERE, 'no-internals-engine.mjs')) });
    const conn = worker.connect(peer.url('/echo'));
    assert.equal(conn.constructor.name, 'WorkerConnection');
    conn.send('fallback');
    assert.equal(conn.receive(5), 'Echo text: fallback');
    conn.send_binary([1, 2, 3]);
    assert.deepEqual(conn.receive(5), [1, 2, 3]);
    conn.close();
    assert.equal(conn.connected(), false);
  });
});
