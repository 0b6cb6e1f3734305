import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as ws from '../../src/scriptling/index.js';

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
});
