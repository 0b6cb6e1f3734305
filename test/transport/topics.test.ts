import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '../../src/transport/client.js';
import type { WebSocket } from '../../src/transport/websocket.js';
import { WebSocketServer } from '../../src/transport/server.js';
import { RawPeer, startServer, waitFor } from '../helpers.js';

/** A route whose connections subscribe to the topics in the query (?t=a,b) and stay until the client leaves. */
function subscribing(opened: WebSocket[] = []): (ws: WebSocket) => Promise<void> {
  return async (ws) => {
    opened.push(ws);
    for (const topic of ws.request!.query.t?.split(',') ?? []) ws.subscribe(topic);
    await ws.send('ready');
    while ((await ws.receive()) !== null);
  };
}

async function subscriber(url: string, topics: string) {
  const ws = await connect(`${url}/sub?t=${encodeURIComponent(topics)}`);
  assert.equal(await ws.receive(5000), 'ready');
  return ws;
}

describe('topics on one server', () => {
  test('a publish reaches each subscriber of its topic once, in order, text as text and bytes as bytes', async () => {
    const { server, url } = await startServer({ '/sub': subscribing() });
    const a = await subscriber(url, 'news');
    const b = await subscriber(url, 'news,sport');
    const c = await subscriber(url, 'sport');
    assert.equal(server.publish('news', 'one'), 2);
    assert.equal(server.publish('sport', Buffer.from([1, 2, 3])), 2);
    assert.equal(server.publish('news', Buffer.from('two'), { binary: false }), 2);
    assert.equal(server.publish('nobody', 'lost'), 0);
    assert.equal(await a.receive(5000), 'one');
    assert.equal(await a.receive(5000), 'two');
    assert.equal(await b.receive(5000), 'one');
    assert.deepEqual(await b.receive(5000), Buffer.from([1, 2, 3]));
    assert.equal(await b.receive(5000), 'two');
    assert.deepEqual(await c.receive(5000), Buffer.from([1, 2, 3]));
    // Nothing more, nothing twice: a marker published last is the next message each gets.
    server.publish('news', 'end');
    server.publish('sport', 'end');
    for (const ws of [a, b, c]) assert.equal(await ws.receive(5000), 'end');
    assert.equal(await b.receive(5000), 'end');
    for (const ws of [a, b, c]) await ws.close();
    await server.close();
  });

  test('unsubscribe, topics, and closing leaves every topic', async () => {
    const opened: WebSocket[] = [];
    const { server, url } = await startServer({ '/sub': subscribing(opened) });
    const a = await subscriber(url, 'x,y');
    const [ws] = opened;
    assert.deepEqual(ws.topics, ['x', 'y']);
    assert.equal(ws.subscribe('x'), false, 'already subscribed');
    assert.equal(ws.unsubscribe('x'), true);
    assert.equal(ws.unsubscribe('x'), false);
    assert.deepEqual(ws.topics, ['y']);
    assert.equal(server.publish('x', 'gone'), 0);
    assert.equal(server.publish('y', 'here'), 1);
    assert.equal(await a.receive(5000), 'here');
    await a.close();
    await ws.whenClosed();
    assert.equal(server.publish('y', 'after'), 0, 'a closed connection left its topics');
    assert.equal(ws.subscribe('y'), false, 'a closed connection is never added');
    assert.deepEqual(ws.topics, []);
    await server.close();
  });

  test('bad topics and text that is not UTF-8 are refused with clear errors; a client connection has no topics', async () => {
    const opened: WebSocket[] = [];
    const { server, url } = await startServer({ '/sub': subscribing(opened) }, { maxTopicsPerConnection: 2 });
    const a = await subscriber(url, 'a,b');
    const [ws] = opened;
    assert.throws(() => ws.subscribe('c'), /at most 2 topics/);
    assert.throws(() => ws.subscribe(''), TypeError);
    assert.throws(() => ws.subscribe(42 as unknown as string), TypeError);
    assert.throws(() => ws.subscribe('x'.repeat(1025)), RangeError);
    assert.throws(() => ws.subscribe('\ud800'), /lone surrogates/);
    assert.throws(() => server.publish('a', Buffer.from([0xff]), { binary: false }), /UTF-8/);
    assert.throws(() => a.subscribe('a'), /server's connections/);
    assert.deepEqual(a.topics, []);
    assert.throws(() => new WebSocketServer({ maxTopicsPerConnection: 0 }), RangeError);
    await a.close();
    await server.close();
  });

  test('a subscriber that never reads is skipped at its sendHighWaterMark; the others get every message', async () => {
    const { server, port, url } = await startServer({ '/sub': subscribing() }, { sendHighWaterMark: 64 * 1024 });
    const { peer: stuck } = await RawPeer.handshake(port, '/sub?t=room');
    stuck.socket.pause(); // never reads
    const reader = await subscriber(url, 'room');
    await waitFor(() => server.publish('probe', 'x') === 0 && server.connectionCount === 2);
    const big = 'm'.repeat(64 * 1024);
    const count = 200; // 12.5 MiB: far more than the stuck peer's socket buffers and high-water mark
    for (let i = 0; i < count; i++) {
      server.publish('room', `${i} ${big}`);
      const got = await reader.receive(5000);
      assert.equal(typeof got === 'string' ? got.slice(0, 8) : got, `${i} ${big}`.slice(0, 8));
    }
    assert.ok(server.topicCounts.skipped > 0, 'the stuck subscriber was skipped');
    assert.equal(server.topicCounts.delivered + server.topicCounts.skipped, 2 * count);
    stuck.close();
    await reader.close();
    await server.close();
  });
});
