// The seed's chat handler (examples/handlers.mjs) when a client leaves or
// stalls (issue 10, item 10): nobody else may be disconnected or stalled.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as ws from '../../src/scriptling/index.js';
import { ROOT, RawPeer } from '../helpers.js';

describe('the seed chat handler with a leaving or stalled client', () => {
  let base = '';
  let port = 0;
  let stop: () => Promise<void> = async () => {};

  before(async () => {
    const runtime = ws.createRuntime();
    runtime.http.websocket('/chat', 'handlers.chat_handler');
    const server = await runtime.http.serve({ port: 0, libraryPath: join(ROOT, 'examples') });
    port = server.port;
    base = `ws://127.0.0.1:${port}`;
    stop = server.close;
  });
  after(() => stop());

  async function enter(): Promise<ws.WebSocketConnection> {
    const client = await ws.connect(`${base}/chat`);
    assert.equal(await client.receive(5), 'Welcome to the chat!');
    return client;
  }

  /** Reads until `expected` arrives; every read must come within `seconds`. */
  async function readUntil(client: ws.WebSocketConnection, expected: string, seconds: number): Promise<void> {
    for (;;) {
      const msg = await client.receive(seconds);
      assert.notEqual(msg, null, `still receiving, waiting for ${JSON.stringify(expected.slice(0, 20))}`);
      if (msg === expected) return;
    }
  }

  test('(a) a client that leaves with messages its handler has not read yet disconnects nobody else', async () => {
    const carol = await enter(); // first in the list, so every broadcast reaches her first
    const alice = await enter();
    const bob = await enter();
    const { peer: dave } = await RawPeer.handshake(port, '/chat');
    dave.socket.pause(); // never reads: broadcasts to him back up (which the seed's loop waited on)
    const big = 'c'.repeat(64 * 1024);
    for (let i = 0; i < 100; i++) await carol.send(`${i} ${big}`);
    await carol.close(); // gone, while her handler still holds unread messages
    await alice.send('alice after carol left');
    await readUntil(bob, 'alice after carol left', 5);
    await readUntil(alice, 'alice after carol left', 5);
    await alice.send('alice again');
    await readUntil(bob, 'alice again', 5);
    await readUntil(alice, 'alice again', 5);
    dave.close();
    await alice.close();
    await bob.close();
  });

  test('(b) a client that never reads does not stop the others: each message reaches them within 1 s', async () => {
    const { peer: dave } = await RawPeer.handshake(port, '/chat');
    dave.socket.pause(); // joined first, so every broadcast reaches him first; never reads
    const alice = await enter();
    const bob = await enter();
    const message = "a".repeat(64 * 1024);
    // 200 × 64 KiB: far more than dave's socket buffers and high-water mark hold.
    for (let i = 0; i < 200; i++) {
      const text = `${i} ${message}`;
      await alice.send(text);
      const got = await bob.receive(1);
      assert.equal(got === null ? null : (got as string).slice(0, 8), text.slice(0, 8), `message ${i} reached bob within 1 s`);
      assert.notEqual(await alice.receive(1), null, `message ${i} reached alice within 1 s`);
    }
    dave.close();
    await alice.close();
    await bob.close();
  });
});
