// The binding's side of issue 10: lists made only when handed out, the
// binding's message-size default, send() values, long timeouts, keepalive
// and broadcast().
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as ws from '../../src/scriptling/index.js';
import type { WebSocketConnection } from '../../src/scriptling/index.js';
import { BINDING_MAX_MESSAGE_SIZE, toList, toText } from '../../src/scriptling/values.js';
import { RawPeer, clientFrame, startServer } from '../helpers.js';

describe('binding robustness', () => {
  let base = '';
  let port = 0;
  let stop: () => Promise<void>;
  const handlers: WebSocketConnection[] = [];
  before(async () => {
    const runtime = ws.createRuntime();
    runtime.http.websocket('/echo', async (client: WebSocketConnection) => {
      while (client.connected()) {
        const msg = await client.receive(null);
        if (msg === null) continue;
        if (ws.is_binary(msg)) await client.send_binary(msg);
        else await client.send(msg);
      }
    });
    runtime.http.websocket('/hold', async (client: WebSocketConnection) => {
      handlers.push(client);
      await client.engine.whenClosed();
    });
    const server = await runtime.http.serve({ port: 0 });
    port = server.port;
    base = `ws://127.0.0.1:${port}`;
    stop = server.close;
  });
  after(() => stop());

  test('binary messages wait as bytes and become lists only when receive() hands them out', async () => {
    const conn = await ws.connect(`${base}/echo`);
    await conn.send_binary([1, 2, 255]);
    await conn.send_binary([0]);
    const first = await conn.engine.receive(5000);
    assert.ok(Buffer.isBuffer(first), 'the engine hands out bytes');
    assert.deepEqual(await conn.receive(5), [0], 'the binding hands out a list');
    assert.deepEqual(toList(Buffer.from([9, 0, 255])), [9, 0, 255]);
    await conn.close();
  });

  test(`the binding refuses messages above its own default maxMessageSize (${BINDING_MAX_MESSAGE_SIZE / 1024 / 1024} MiB) with 1009, both roles`, async () => {
    const { peer } = await RawPeer.handshake(port, '/echo');
    peer.write(clientFrame(0x82, Buffer.alloc(BINDING_MAX_MESSAGE_SIZE + 1)));
    const { closeCode } = await peer.readUntilClosed();
    assert.equal(closeCode, 1009);
    const conn = await ws.connect(`${base}/echo`);
    await conn.send_binary(new Uint8Array(BINDING_MAX_MESSAGE_SIZE));
    assert.equal((await conn.receive(10))!.length, BINDING_MAX_MESSAGE_SIZE, 'up to the limit is fine');
    const big = await ws.connect(`${base}/echo`, { maxMessageSize: BINDING_MAX_MESSAGE_SIZE * 2 });
    await big.send_binary(new Uint8Array(BINDING_MAX_MESSAGE_SIZE + 1));
    assert.equal(await big.receive(10), null, 'the server refused it');
    assert.equal(big.engine.closeInfo!.code, 1009);
    await conn.close();
    // Client role: an engine server (64 MiB default) sending just over the binding's limit.
    const { server: engineServer, url } = await startServer({ '/': async (socket) => {
      await socket.send(Buffer.alloc(BINDING_MAX_MESSAGE_SIZE + 1)).catch(() => {});
      await socket.whenClosed();
    } });
    const client = await ws.connect(url);
    assert.equal(await client.receive(10), null);
    assert.equal(client.engine.closeInfo!.code, 1009);
    await engineServer.close();
  });

  test('send(): non-plain objects and values with no JSON form are TypeErrors, nothing sent', async () => {
    for (const bad of [new Map([['a', 1]]), new Set([1]), { nested: new Map() }, [new Set()], { toJSON: () => undefined }, new (class Point { x = 1; })()]) {
      assert.throws(() => toText(bad), TypeError, String(bad));
    }
    assert.equal(toText({ when: new Date(0) }), '{"when":"1970-01-01T00:00:00.000Z"}', 'toJSON says how it encodes');
    assert.equal(toText(Object.assign(Object.create(null), { a: 1 })), '{"a":1}');
    const conn = await ws.connect(`${base}/echo`);
    await assert.rejects(conn.send(new Map() as never), /not a Map/);
    await assert.rejects(conn.send({ toJSON: () => undefined }), /toJSON\(\) returned nothing/);
    assert.equal(await conn.receive(0.05), null, 'nothing was sent');
    await conn.close();
  });

  test('receive(2_200_000) seconds (above 2^31−1 ms) waits for the message', async () => {
    const conn = await ws.connect(`${base}/echo`);
    let settled: unknown = 'pending';
    const pending = conn.receive(2_200_000).then((m) => {
      settled = m;
      return m;
    });
    for (let i = 0; i < 3; i++) await conn.ping();
    assert.equal(settled, 'pending');
    await conn.send('late');
    assert.equal(await pending, 'late');
    await conn.close();
  });

  test('ping() resolves with the round trip in seconds; latency keeps it', async () => {
    const conn = await ws.connect(`${base}/echo`);
    assert.equal(conn.latency, 0);
    const rtt = await conn.ping();
    assert.ok(rtt > 0 && rtt < 5);
    assert.equal(conn.latency, rtt);
    await conn.close();
  });

  test('broadcast() sends text, dicts and lists to open connections only, and says how many', async () => {
    handlers.length = 0;
    const a = await ws.connect(`${base}/hold`);
    const b = await ws.connect(`${base}/hold`);
    const leaving = await ws.connect(`${base}/hold`);
    await leaving.close();
    await handlers[2].engine.whenClosed();
    assert.equal(ws.broadcast(handlers, 'hello'), 2);
    assert.equal(ws.broadcast(handlers, { n: 1 }), 2);
    assert.equal(ws.broadcast(handlers, [1, 2]), 2);
    for (const conn of [a, b]) {
      assert.equal(await conn.receive(5), 'hello');
      assert.equal(await conn.receive(5), '{"n":1}');
      assert.deepEqual(await conn.receive(5), [1, 2]);
    }
    assert.throws(() => ws.broadcast(handlers, [300]), TypeError);
    await a.close();
    await b.close();
  });
});
