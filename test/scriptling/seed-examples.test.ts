// Every example of the seed document (scriptling.websocket), run end to end
// against our own server over ws:// and wss://. Each test follows the
// seed's Scriptling code line by line, with `await` where Scriptling blocks.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as ws from '../../src/scriptling/index.js';
import type { WebSocketConnection } from '../../src/scriptling/index.js';
import { WebSocketServer } from '../../src/transport/server.js';
import { ROOT, testCertificate } from '../helpers.js';

for (const scheme of ['ws', 'wss'] as const) {
  describe(`seed examples over ${scheme}://`, () => {
    let base = '';
    let stop: () => Promise<void> = async () => {};
    let headerServer: WebSocketServer;
    let headerBase = '';
    const tls = scheme === 'wss' ? testCertificate() : undefined;
    const clientOptions = tls ? { ca: tls.cert } : {};
    /** connect(url, timeout=10, headers={}), with the test CA for wss://. */
    const connect = (url: string, timeout = 10, headers: Record<string, string> = {}) =>
      ws.connect(url, { timeout, headers, ...clientOptions });

    before(async () => {
      const runtime = ws.createRuntime();
      // The seed's server example: setup.py registers "handlers.chat_handler" by name.
      runtime.http.websocket('/chat', 'handlers.chat_handler');
      runtime.http.websocket('/echo', 'handlers.echo_handler');
      runtime.http.websocket('/updates', async (client: WebSocketConnection) => {
        const msg = await client.receive(5);
        await client.send(`subscribed: ${msg}`);
        await client.send('update 1');
        await client.send('update 2');
      });
      runtime.http.websocket('/mixed', async (client: WebSocketConnection) => {
        await client.send('text one');
        await client.send_binary([0xde, 0xad, 0xbe, 0xef]);
        await client.send('text two');
      });
      runtime.http.websocket('/silent', async (client: WebSocketConnection) => {
        while (client.connected()) await client.receive(null); // reads, never answers
      });
      runtime.http.websocket('/drop', async (client: WebSocketConnection) => {
        (client.engine as unknown as { terminate(): void }).terminate();
      });
      const server = await runtime.http.serve({ port: 0, libraryPath: join(ROOT, 'examples'), tls });
      base = `${scheme}://127.0.0.1:${server.port}`;
      stop = server.close;
      headerServer = new WebSocketServer({ tls });
      headerServer.route('/ws', async (socket, request) => {
        await socket.send(`${request.headers.authorization} / ${request.headers['x-custom-header']}`);
        await socket.receive(5000);
      });
      headerBase = `${scheme}://127.0.0.1:${(await headerServer.listen()).port}`;
    });
    after(async () => {
      await stop();
      await headerServer.close();
    });

    test('Basic Echo Client', async () => {
      const conn = await connect(`${base}/echo`, 10);
      await conn.send('Hello, WebSocket!');
      const msg = await conn.receive(5);
      assert.equal(`Received: ${msg}`, 'Received: Echo text: Hello, WebSocket!');
      await conn.close();
      assert.equal(conn.connected(), false);
    });

    test('conn.send: a dict is auto-JSON encoded', async () => {
      const conn = await connect(`${base}/echo`);
      await conn.send('Hello, WebSocket!');
      await conn.send({ type: 'ping', data: 'test' });
      assert.equal(await conn.receive(5), 'Echo text: Hello, WebSocket!');
      assert.equal(await conn.receive(5), 'Echo text: {"type":"ping","data":"test"}');
      await conn.close();
    });

    test('JSON Messaging: subscribe, then read until the server disconnects', async () => {
      const conn = await connect(`${base}/updates`, 10);
      await conn.send({ action: 'subscribe', channel: 'updates' });
      const printed: string[] = [];
      while (conn.connected()) {
        const msg = await conn.receive(30);
        if (msg) printed.push(`Update: ${msg}`);
        else if (!conn.connected()) break;
      }
      await conn.close();
      assert.deepEqual(printed, ['Update: subscribed: {"action":"subscribe","channel":"updates"}', 'Update: update 1', 'Update: update 2']);
    });

    test('Binary Data: bytes come back as a list', async () => {
      const conn = await connect(`${base}/echo`, 10);
      await conn.send_binary([0x01, 0x02, 0x03, 0x04]);
      const msg = await conn.receive(5);
      assert.ok(msg);
      assert.equal(`Received ${msg.length} bytes`, 'Received 4 bytes');
      assert.equal((msg as number[])[0], 1);
      assert.deepEqual(msg, [1, 2, 3, 4]);
      await conn.send_binary([0x01, 0x02, 0x03, 0xff]);
      assert.deepEqual(await conn.receive(5), [1, 2, 3, 255]);
      await conn.close();
    });

    test('Handling Mixed Text and Binary', async () => {
      const conn = await connect(`${base}/mixed`, 10);
      const printed: string[] = [];
      while (conn.connected()) {
        const msg = await conn.receive(30);
        if (!msg) continue;
        if (ws.is_text(msg)) printed.push(`Text message: ${msg}`);
        else if (ws.is_binary(msg)) printed.push(`Binary message: ${msg.length} bytes`);
      }
      await conn.close();
      assert.deepEqual(printed, ['Text message: text one', 'Binary message: 4 bytes', 'Text message: text two']);
    });

    test('With Custom Headers', async () => {
      const conn = await connect(`${headerBase}/ws`, 10, { Authorization: 'Bearer my-token', 'X-Custom-Header': 'value' });
      await conn.send('Hello with auth!');
      assert.equal(await conn.receive(5), 'Bearer my-token / value');
      await conn.close();
    });

    test('Server Example: the chat handler broadcasts to every client', async () => {
      const alice = await connect(`${base}/chat`);
      const bob = await connect(`${base}/chat`);
      assert.equal(await alice.receive(5), 'Welcome to the chat!');
      assert.equal(await bob.receive(5), 'Welcome to the chat!');
      await alice.send('hi from alice');
      assert.equal(await alice.receive(5), 'hi from alice');
      assert.equal(await bob.receive(5), 'hi from alice');
      await alice.close();
      await bob.send('alice left');
      assert.equal(await bob.receive(5), 'alice left');
      await bob.close();
    });

    test('server handler: is_text / is_binary echo', async () => {
      const conn = await connect(`${base}/echo`);
      await conn.send('abc');
      await conn.send_binary([9, 8, 7]);
      assert.equal(await conn.receive(5), 'Echo text: abc');
      assert.deepEqual(await conn.receive(5), [9, 8, 7]);
      await conn.close();
    });

    test('conn.connected(): the echo loop', async () => {
      const conn = await connect(`${base}/echo`);
      await conn.send('one');
      let rounds = 0;
      while (conn.connected() && rounds < 3) {
        const msg = await conn.receive(60);
        if (msg) await conn.send(`Echo: ${msg}`);
        rounds++;
      }
      assert.equal(await conn.receive(5), 'Echo text: Echo: Echo text: Echo: Echo text: Echo: Echo text: one');
      await conn.close();
    });

    test('conn.receive(timeout): None on timeout, connection still usable', async () => {
      const conn = await connect(`${base}/silent`);
      const started = Date.now();
      const msg = await conn.receive(0.2);
      assert.equal(msg, null);
      assert.ok(Date.now() - started >= 150);
      assert.equal(conn.connected(), true, 'Timeout - still connected');
      await conn.close();
    });

    test('Error Handling: "Connection lost" vs "Timeout"', async () => {
      const outcome = async (path: string) => {
        const conn = await connect(`${base}/${path}`, 10);
        try {
          await conn.send('Hello');
          const msg = await conn.receive(0.3);
          if (msg === null && !conn.connected()) return 'Connection lost';
          if (msg === null) return 'Timeout - no message received';
          return `Received: ${msg}`;
        } finally {
          await conn.close();
        }
      };
      assert.equal(await outcome('drop'), 'Connection lost');
      assert.equal(await outcome('silent'), 'Timeout - no message received');
      assert.equal(await outcome('echo'), 'Received: Echo text: Hello');
    });

    test('conn.remote_addr', async () => {
      const conn = await connect(`${base}/echo`);
      assert.match(conn.remote_addr, /^127\.0\.0\.1:\d+$/);
      await conn.close();
    });
  });
}
