// Topics joined through a real redis-server (each test starts its own on a
// free port). Two servers in this process, each with its own Redis
// connections, stand for two processes or hosts.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '../../../src/transport/client.js';
import { State } from '../../../src/protocol/connection.js';
import type { WebSocket } from '../../../src/transport/websocket.js';
import type { WebSocketServer } from '../../../src/transport/server.js';
import { redisPubSub, type RedisPubSub, type RedisPubSubOptions } from '../../../src/transport/pubsub/redis-pubsub.js';
import type { PubSubError } from '../../../src/transport/pubsub/pubsub.js';
import { startServer, testCertificate, waitFor } from '../../helpers.js';
import { RedisServer, missing } from '../../scale/processes.js';

const skip = missing('redis-server', 'redis-server');

/** Connections subscribe to the topics in the query (?t=a,b). */
async function subscribing(ws: WebSocket): Promise<void> {
  for (const topic of ws.request!.query.t?.split(',') ?? []) ws.subscribe(topic);
  await ws.send('ready');
  while ((await ws.receive()) !== null);
}

interface Joined {
  server: WebSocketServer;
  url: string;
  errors: PubSubError[];
  pubsub: RedisPubSub;
}

async function joinedServer(options: Partial<RedisPubSubOptions> & { url: string }): Promise<Joined> {
  const errors: PubSubError[] = [];
  const { server, url } = await startServer({ '/sub': subscribing }, {
    pubsub: redisPubSub({ reconnectDelay: { min: 50, max: 400 }, ...options, onError: (error) => errors.push(error as PubSubError) }),
  });
  return { server, url, errors, pubsub: server.pubsub as RedisPubSub };
}

async function subscriber(url: string, topics: string) {
  const ws = await connect(`${url}/sub?t=${encodeURIComponent(topics)}`);
  assert.equal(await ws.receive(5000), 'ready');
  return ws;
}

describe('topics through Redis', { skip }, () => {
  test('a publish on one server reaches the subscribers of both once, in order, text as text and binary as binary', async () => {
    const redis = await RedisServer.start();
    const a = await joinedServer({ url: redis.url });
    const b = await joinedServer({ url: redis.url });
    const onA = await subscriber(a.url, 'room');
    const onB = await subscriber(b.url, 'room');
    const onB2 = await subscriber(b.url, 'room,other');
    await redis.subscribers('scriptling-ws:room', 2); // one channel per server, however many subscribers it has
    const bytes = Buffer.from([0, 13, 10, 255, 0x73, 0x77, 0x31]);
    for (let i = 0; i < 20; i++) a.server.publish('room', `m${i}`);
    a.server.publish('room', bytes);
    a.server.publish('room', Buffer.from('text as bytes'), { binary: false });
    a.server.publish('room', 'é 🙂');
    for (const ws of [onA, onB, onB2]) {
      for (let i = 0; i < 20; i++) assert.equal(await ws.receive(5000), `m${i}`);
      assert.deepEqual(await ws.receive(5000), bytes);
      assert.equal(await ws.receive(5000), 'text as bytes');
      assert.equal(await ws.receive(5000), 'é 🙂');
    }
    // The other way, and nothing arrived twice (a's own message came back from Redis and was skipped).
    b.server.publish('room', 'end');
    for (const ws of [onA, onB, onB2]) assert.equal(await ws.receive(5000), 'end');
    for (const ws of [onA, onB, onB2]) assert.equal(await ws.receive(100), null);
    assert.equal(a.pubsub.stats.published, 23);
    assert.equal(b.pubsub.stats.received, 23, 'b delivered what a published');
    assert.deepEqual([...a.errors, ...b.errors], []);
    // The last subscriber of a topic leaving unsubscribes its channel.
    await onA.close();
    await waitFor(() => a.server.connectionCount === 0);
    await redis.subscribers('scriptling-ws:room', 1);
    assert.equal(redis.cli('PUBSUB', 'NUMSUB', 'scriptling-ws:room').split('\n')[1], '1');
    for (const ws of [onB, onB2]) await ws.close();
    await Promise.all([a.server.close(), b.server.close()]);
    await redis.dispose();
  });

  test('AUTH (password alone and ACL user) and SELECT; a wrong password is reported, never thrown, and retried', async () => {
    const redis = await RedisServer.start(['--requirepass', 'secret', '--user', 'alice', 'on', '>wonder', '~*', '&*', '+@all'], { password: 'secret' });
    const port = redis.port;
    const a = await joinedServer({ url: `redis://:secret@127.0.0.1:${port}/3` });
    const b = await joinedServer({ url: `redis://alice:wonder@127.0.0.1:${port}/5` });
    const wrong = await joinedServer({ url: `redis://:nope@127.0.0.1:${port}` });
    const onB = await subscriber(b.url, 'x');
    const onWrong = await subscriber(wrong.url, 'x');
    await redis.subscribers('scriptling-ws:x', 1);
    await waitFor(() => a.pubsub.connected);
    a.server.publish('x', 'through AUTH');
    assert.equal(await onB.receive(5000), 'through AUTH', 'pub/sub spans databases: SELECT is for the connection only');
    await waitFor(() => wrong.errors.length > 0);
    assert.equal(wrong.errors[0].code, 'WS_ERR_PUBSUB_REFUSED');
    assert.match(wrong.errors[0].message, /redis:\/\/127\.0\.0\.1:\d+\/0 refused AUTH or SELECT: WRONGPASS/);
    assert.doesNotMatch(wrong.errors[0].message, /nope/, 'the password is not in the message');
    await waitFor(() => wrong.errors.length >= 2, { what: 'both connections refused' });
    // 700 ms: several retries of each connection (from 50 ms, at most 400 ms apart).
    assert.equal(await onWrong.receive(700), null, 'a server that cannot join still serves its own clients');
    assert.equal(wrong.server.publish('x', 'local only'), 1);
    assert.equal(await onWrong.receive(5000), 'local only');
    // Retried meanwhile (every 25–400 ms here), reported once per connection: a log line each retry would bury everything else.
    assert.equal(wrong.errors.filter((e) => e.code === 'WS_ERR_PUBSUB_REFUSED').length, 2, wrong.errors.map((e) => e.message).join('\n'));
    for (const ws of [onB, onWrong]) await ws.close();
    await Promise.all([a.server.close(), b.server.close(), wrong.server.close()]);
    await redis.dispose();
  });

  test('the prefix separates deployments; a message in another format on our channel is ignored and counted', async () => {
    const redis = await RedisServer.start();
    const blue = await joinedServer({ url: redis.url, prefix: 'blue:' });
    const green = await joinedServer({ url: redis.url, prefix: 'green:' });
    const blue2 = await joinedServer({ url: redis.url, prefix: 'blue:' });
    const onGreen = await subscriber(green.url, 't');
    const onBlue2 = await subscriber(blue2.url, 't');
    await redis.subscribers('green:t', 1);
    await redis.subscribers('blue:t', 1);
    await waitFor(() => blue.pubsub.connected);
    redis.cli('PUBLISH', 'blue:t', 'not ours');
    blue.server.publish('t', 'blue only');
    assert.equal(await onBlue2.receive(5000), 'blue only');
    assert.equal(await onGreen.receive(200), null);
    assert.equal(blue2.pubsub.stats.foreign, 1);
    assert.equal(blue2.errors[0]?.code, 'WS_ERR_PUBSUB_PROTOCOL');
    for (const ws of [onGreen, onBlue2]) await ws.close();
    await Promise.all([blue.server.close(), green.server.close(), blue2.server.close()]);
    await redis.dispose();
  });

  test('Redis restarted: both servers reconnect and resubscribe, clients stay connected, later publishes arrive; publishes beyond the queue bound are dropped, counted and reported', async () => {
    const redis = await RedisServer.start();
    const a = await joinedServer({ url: redis.url, maxQueuedBytes: 4096 });
    const b = await joinedServer({ url: redis.url });
    const onA = await subscriber(a.url, 'room');
    const onB = await subscriber(b.url, 'room');
    await redis.subscribers('scriptling-ws:room', 2);
    await waitFor(() => a.pubsub.connected);
    a.server.publish('room', 'before');
    assert.equal(await onB.receive(5000), 'before');
    assert.equal(await onA.receive(5000), 'before');

    await redis.stop();
    await waitFor(() => !a.pubsub.connected && !b.pubsub.connected, { what: 'both servers to see Redis gone' });
    assert.ok(a.errors.some((e) => e.code === 'WS_ERR_PUBSUB_DOWN'), 'the outage is reported');
    // During the outage: local subscribers still get every publish; 4 KiB of publishes wait for Redis, the rest are dropped.
    const during = 'd'.repeat(1000);
    for (let i = 0; i < 10; i++) assert.equal(a.server.publish('room', `${i} ${during}`), 1);
    for (let i = 0; i < 10; i++) assert.equal(((await onA.receive(5000)) as string).slice(0, 2), `${i} `);
    assert.ok(a.pubsub.stats.dropped >= 6 && a.pubsub.stats.dropped <= 7, `dropped ${a.pubsub.stats.dropped}`);
    assert.equal(a.errors.filter((e) => e.code === 'WS_ERR_PUBSUB_DROPPED').length, 1, 'reported once per outage');

    await redis.restart();
    const started = Date.now();
    await redis.subscribers('scriptling-ws:room', 2, 10_000);
    await waitFor(() => a.pubsub.connected && b.pubsub.connected, { timeoutMs: 10_000 });
    assert.ok(Date.now() - started < 5000, `resubscribed within ${Date.now() - started} ms`);
    assert.equal(onA.state, State.OPEN, 'clients stayed connected');
    assert.equal(onB.state, State.OPEN);
    a.server.publish('room', 'after');
    b.server.publish('room', 'after from b');
    // b may get some of a's queued publishes first (those that reached Redis after b resubscribed);
    // a's and b's own messages may come in either order (each reaches its own process's clients first).
    const seenByB: string[] = [];
    while (seenByB.filter((m) => m.startsWith('after')).length < 2) {
      const got = await onB.receive(5000);
      assert.notEqual(got, null, `b got ${JSON.stringify(seenByB.map((m) => m.slice(0, 12)))}`);
      seenByB.push(got as string);
    }
    assert.deepEqual(seenByB.filter((m) => m.startsWith('after')).sort(), ['after', 'after from b']);
    assert.deepEqual([await onA.receive(5000), await onA.receive(5000)].sort(), ['after', 'after from b']);
    assert.equal(await onA.receive(100), null);
    assert.equal(await onB.receive(100), null);
    assert.ok(a.pubsub.stats.reconnects >= 2, 'subscriber and publisher reconnected');
    for (const ws of [onA, onB]) await ws.close();
    await Promise.all([a.server.close(), b.server.close()]);
    await redis.dispose();
  });

  test('Redis unreachable from the start: serving works, publishes queue and go out on the first connection', async () => {
    const redis = await RedisServer.start();
    await redis.stop();
    const a = await joinedServer({ url: redis.url });
    const onA = await subscriber(a.url, 'q');
    await waitFor(() => a.errors.length > 0);
    assert.equal(a.errors[0].code, 'WS_ERR_PUBSUB_DOWN');
    assert.match(a.errors[0].message, /cannot reach redis:\/\/127\.0\.0\.1:\d+\/0 \(connect ECONNREFUSED/);
    assert.equal(a.server.publish('q', 'queued while down'), 1);
    assert.equal(await onA.receive(5000), 'queued while down');
    assert.ok(a.pubsub.stats.queuedBytes > 0);
    assert.equal(a.pubsub.stats.published, 0);
    await redis.restart();
    // Whoever is subscribed when it reconnects gets the queued publish; Redis keeps nothing for later subscribers.
    await waitFor(() => a.pubsub.connected, { timeoutMs: 10_000 });
    assert.equal(a.pubsub.stats.queuedBytes, 0);
    assert.equal(a.pubsub.stats.published, 1);
    await redis.subscribers('scriptling-ws:q', 1);
    const b = await joinedServer({ url: redis.url });
    await waitFor(() => b.pubsub.connected);
    b.server.publish('q', 'from b');
    assert.equal(await onA.receive(5000), 'from b');
    await onA.close();
    await Promise.all([a.server.close(), b.server.close()]);
    await redis.dispose();
  });

  test('rediss:// (TLS): the certificate is checked against the tls settings', async () => {
    const certificate = testCertificate();
    const redis = await RedisServer.start([], { tls: certificate });
    const a = await joinedServer({ url: redis.url, tls: { ca: certificate.cert } });
    const b = await joinedServer({ url: redis.url, tls: { ca: certificate.cert } });
    const untrusting = await joinedServer({ url: redis.url });
    const onB = await subscriber(b.url, 'secure');
    await redis.subscribers('scriptling-ws:secure', 1);
    await waitFor(() => a.pubsub.connected);
    a.server.publish('secure', 'over TLS');
    assert.equal(await onB.receive(5000), 'over TLS');
    await waitFor(() => untrusting.errors.length > 0);
    assert.equal(untrusting.errors[0].code, 'WS_ERR_PUBSUB_DOWN');
    assert.match(untrusting.errors[0].message, /cannot reach rediss:\/\/127\.0\.0\.1:\d+\/0 \(self.signed certificate/);
    assert.equal(untrusting.pubsub.connected, false);
    await onB.close();
    await Promise.all([a.server.close(), b.server.close(), untrusting.server.close()]);
    await redis.dispose();
  });

  test('bad settings are clear errors when the server is made', () => {
    assert.throws(() => redisPubSub('redis//nowhere'), /expected redis:\/\//);
    assert.throws(() => redisPubSub({ url: 'redis://h', maxQueuedBytes: -1 }), /maxQueuedBytes must be an integer ≥ 0/);
    assert.throws(() => redisPubSub({ url: 'redis://h', reconnectDelay: { min: 0 } }), /reconnectDelay.min must be an integer ≥ 1/);
  });
});
