import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as ws from '../../src/scriptling/index.js';
import { RedisServer, missing } from '../scale/processes.js';

describe('topics in the binding', () => {
  test('client.subscribe / unsubscribe / topics and runtime.publish: dict as JSON text, list as binary, each once', async () => {
    const runtime = ws.createRuntime();
    const handlers: ws.WebSocketConnection[] = [];
    runtime.http.websocket('/room', async (client) => {
      handlers.push(client);
      assert.equal(client.subscribe('room'), true);
      assert.equal(client.subscribe('room'), false);
      client.subscribe('other');
      assert.deepEqual(client.topics, ['room', 'other']);
      client.unsubscribe('other');
      await client.send(JSON.stringify(client.topics));
      while (client.connected()) await client.receive(null);
    });
    const server = await runtime.http.serve({ port: 0 });
    const a = await ws.connect(`ws://127.0.0.1:${server.port}/room`);
    const b = await ws.connect(`ws://127.0.0.1:${server.port}/room`);
    assert.equal(await a.receive(5), '["room"]');
    assert.equal(await b.receive(5), '["room"]');
    assert.equal(runtime.publish('room', { from: 'x', n: 1 }), 2);
    assert.equal(runtime.publish('room', [1, 2, 255]), 2);
    assert.equal(runtime.publish('other', 'nobody'), 0);
    // The package's runtime is this process's: it reaches the servers of every runtime.
    assert.equal(ws.runtime.publish('room', 'via the process runtime'), 2);
    for (const client of [a, b]) {
      assert.equal(await client.receive(5), '{"from":"x","n":1}');
      assert.deepEqual(await client.receive(5), [1, 2, 255]);
      assert.equal(await client.receive(5), 'via the process runtime');
      assert.equal(await client.receive(0), null, 'nothing twice');
    }
    assert.throws(() => runtime.publish('room', [256]), TypeError);
    assert.throws(() => runtime.publish('', 'x'), TypeError);
    await a.close();
    await b.close();
    await server.close();
    assert.equal(runtime.publish('room', 'after close'), 0);
  });

  test('serve({ pubsub }) joins two runtimes through Redis; its times are in seconds', { skip: missing('redis-server', 'redis-server') }, async () => {
    const redis = await RedisServer.start();
    const servers: ws.RunningServer[] = [];
    const runtimes = [ws.createRuntime(), ws.createRuntime()];
    for (const runtime of runtimes) {
      runtime.http.websocket('/room', async (client) => {
        client.subscribe('room');
        await client.send('ready');
        while (client.connected()) await client.receive(null);
      });
      servers.push(await runtime.http.serve({ port: 0, pubsub: { url: redis.url, prefix: 'binding:', connectTimeout: 2, reconnectDelay: { min: 0.05, max: 0.2 } } }));
    }
    const [a, b] = await Promise.all(servers.map((server) => ws.connect(`ws://127.0.0.1:${server.port}/room`)));
    assert.equal(await a.receive(5), 'ready');
    assert.equal(await b.receive(5), 'ready');
    await redis.subscribers('binding:room', 2);
    assert.equal(runtimes[0].publish('room', [0, 255]), 1, 'one client of this process');
    assert.deepEqual(await a.receive(5), [0, 255]);
    // The publisher connection may still be coming up: the publish waits in its queue, then arrives.
    assert.deepEqual(await b.receive(5), [0, 255]);
    await a.close();
    await b.close();
    for (const server of servers) await server.close();
    await assert.rejects(runtimes[0].http.serve({ port: 0, pubsub: { url: redis.url, connectTimeout: -1 } }), /pubsub connectTimeout must be a number of seconds/);
    await redis.dispose();
  });
});
