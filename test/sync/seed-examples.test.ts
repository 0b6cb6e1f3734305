// Every client example of the seed document as synchronous code, line for
// line as in Scriptling (no await anywhere), against our server over ws://
// and wss:// and against Python's websockets.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as ws from '../../src/sync/index.js';
import { requirePython, startSeedPeer, type PeerKind, type SeedPeer } from './peers.js';

const PEERS: PeerKind[] = ['ours', 'ours over TLS', 'python websockets'];

for (const kind of PEERS) {
  describe(`seed examples, synchronous, against ${kind}`, { skip: kind === 'python websockets' && requirePython }, () => {
    let peer: SeedPeer;
    /** The seed's connect(url, timeout=10, headers={}), with the test CA for wss://. */
    const connect = (path: string, timeout = 10, headers: Record<string, string> = {}) =>
      ws.connect(peer.url(path), { timeout, headers, ...peer.tls });

    before(async () => {
      peer = await startSeedPeer(kind);
    });
    after(() => peer.stop());

    test('Basic Echo Client', () => {
      const conn = connect('/echo', 10);
      // ws:// runs on this thread; TLS can only be decrypted on the worker's event loop.
      assert.equal(conn.constructor.name, kind === 'ours over TLS' ? 'WorkerConnection' : 'CallerConnection');
      conn.send('Hello, WebSocket!');
      const msg = conn.receive(5);
      assert.equal(`Received: ${msg}`, 'Received: Echo text: Hello, WebSocket!');
      conn.close();
      assert.equal(conn.connected(), false);
    });

    test('conn.send: a dict is auto-JSON encoded', () => {
      const conn = connect('/echo');
      conn.send('Hello, WebSocket!');
      conn.send({ type: 'ping', data: 'test' });
      assert.equal(conn.receive(5), 'Echo text: Hello, WebSocket!');
      assert.equal(conn.receive(5), 'Echo text: {"type":"ping","data":"test"}');
      conn.close();
    });

    test('JSON Messaging: subscribe, then read until the server disconnects', () => {
      const conn = connect('/updates', 10);
      conn.send({ action: 'subscribe', channel: 'updates' });
      const printed: string[] = [];
      while (conn.connected()) {
        const msg = conn.receive(30);
        if (msg) printed.push(`Update: ${msg}`);
        else if (!conn.connected()) break;
      }
      conn.close();
      assert.deepEqual(printed, ['Update: subscribed: {"action":"subscribe","channel":"updates"}', 'Update: update 1', 'Update: update 2']);
    });

    test('Binary Data: bytes come back as a list', () => {
      const conn = connect('/echo', 10);
      conn.send_binary([0x01, 0x02, 0x03, 0x04]);
      const msg = conn.receive(5);
      assert.ok(msg);
      assert.equal(`Received ${msg.length} bytes`, 'Received 4 bytes');
      assert.equal((msg as number[])[0], 1);
      assert.deepEqual(msg, [1, 2, 3, 4]);
      conn.send_binary([0x01, 0x02, 0x03, 0xff]);
      assert.deepEqual(conn.receive(5), [1, 2, 3, 255]);
      conn.close();
    });

    test('Handling Mixed Text and Binary', () => {
      const conn = connect('/mixed', 10);
      const printed: string[] = [];
      while (conn.connected()) {
        const msg = conn.receive(30);
        if (!msg) continue;
        if (ws.is_text(msg)) printed.push(`Text message: ${msg}`);
        else if (ws.is_binary(msg)) printed.push(`Binary message: ${msg.length} bytes`);
      }
      conn.close();
      assert.deepEqual(printed, ['Text message: text one', 'Binary message: 4 bytes', 'Text message: text two']);
    });

    test('is_text(message) and is_binary(message), with receive() and its default timeout', () => {
      const conn = connect('/mixed');
      const printed: string[] = [];
      let msg = conn.receive();
      if (ws.is_text(msg)) printed.push(`Text: ${msg}`);
      msg = conn.receive();
      if (ws.is_binary(msg)) printed.push(`Binary: ${(msg as number[]).length} bytes`);
      assert.equal(ws.is_binary('text'), false);
      assert.equal(ws.is_text([1, 2]), false);
      conn.close();
      assert.deepEqual(printed, ['Text: text one', 'Binary: 4 bytes']);
    });

    test('With Custom Headers', () => {
      const conn = connect('/headers', 10, { Authorization: 'Bearer my-token', 'X-Custom-Header': 'value' });
      conn.send('Hello with auth!');
      assert.equal(conn.receive(5), 'Bearer my-token / value');
      conn.close();
    });

    test('connect(url, timeout, headers) positionally', () => {
      if (peer.tls.ca) return; // positional arguments have no room for the test CA
      const conn = ws.connect(peer.url('/headers'), 10, { Authorization: 'Bearer positional', 'X-Custom-Header': 'v2' });
      assert.equal(conn.receive(5), 'Bearer positional / v2');
      conn.close();
    });

    test('Server Example (client side): the chat handler broadcasts to every client', () => {
      const alice = connect('/chat');
      const bob = connect('/chat');
      assert.equal(alice.receive(5), 'Welcome to the chat!');
      assert.equal(bob.receive(5), 'Welcome to the chat!');
      alice.send('hi from alice');
      assert.equal(alice.receive(5), 'hi from alice');
      assert.equal(bob.receive(5), 'hi from alice');
      alice.close();
      bob.send('alice left');
      assert.equal(bob.receive(5), 'alice left');
      bob.close();
    });

    test('server handler: is_text / is_binary echo', () => {
      const conn = connect('/echo');
      conn.send('abc');
      conn.send_binary([9, 8, 7]);
      assert.equal(conn.receive(5), 'Echo text: abc');
      assert.deepEqual(conn.receive(5), [9, 8, 7]);
      conn.close();
    });

    test('conn.connected(): the echo loop', () => {
      const conn = connect('/echo');
      conn.send('one');
      let rounds = 0;
      while (conn.connected() && rounds < 3) {
        const msg = conn.receive(60);
        if (msg) conn.send(`Echo: ${msg}`);
        rounds++;
      }
      assert.equal(conn.receive(5), 'Echo text: Echo: Echo text: Echo: Echo text: Echo: Echo text: one');
      conn.close();
    });

    test('conn.receive(timeout): None on timeout, connection still usable', () => {
      const conn = connect('/silent');
      const started = performance.now();
      const msg = conn.receive(0.2);
      assert.equal(msg, null);
      assert.ok(performance.now() - started >= 190);
      assert.equal(conn.connected(), true, 'Timeout - still connected');
      conn.close();
    });

    test('Error Handling: "Connection lost" vs "Timeout"', () => {
      const outcome = (path: string) => {
        const conn = connect(path, 10);
        try {
          conn.send('Hello');
          const msg = conn.receive(0.3);
          if (msg === null && !conn.connected()) return 'Connection lost';
          if (msg === null) return 'Timeout - no message received';
          return `Received: ${msg}`;
        } finally {
          conn.close();
        }
      };
      assert.equal(outcome('/drop'), 'Connection lost');
      assert.equal(outcome('/silent'), 'Timeout - no message received');
      assert.equal(outcome('/echo'), 'Received: Echo text: Hello');
    });

    test('conn.remote_addr', () => {
      const conn = connect('/echo');
      assert.match(conn.remote_addr, /^127\.0\.0\.1:\d+$/);
      assert.equal(conn.protocol, '');
      conn.close();
    });
  });
}
