import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ws from '../../src/scriptling/index.js';
import type { WebSocketConnection } from '../../src/scriptling/index.js';
import { timesToMilliseconds, toMilliseconds } from '../../src/scriptling/values.js';

describe('the Scriptling binding', () => {
  let base = '';
  let stop: () => Promise<void>;
  let release: (() => void) | null = null;
  before(async () => {
    const runtime = ws.createRuntime();
    runtime.http.websocket('/echo', async (client: WebSocketConnection) => {
      while (client.connected()) {
        const msg = await client.receive(60);
        if (msg === null) continue;
        if (ws.is_binary(msg)) await client.send_binary(msg);
        else await client.send(msg);
      }
    });
    // Sends three messages, then closes: the client must still read all three.
    runtime.http.websocket('/three-then-close', async (client: WebSocketConnection) => {
      await client.send('a');
      await client.send_binary([1]);
      await client.send({ n: 3 });
    });
    // Answers late, on demand, to prove timeouts lose nothing.
    runtime.http.websocket('/late', async (client: WebSocketConnection) => {
      await new Promise<void>((r) => (release = r));
      for (let i = 0; i < 5; i++) await client.send(`late ${i}`);
      await client.receive(5);
    });
    runtime.http.get('/page', () => ({ status: 200, body: 'page body' }));
    const server = await runtime.http.serve({ port: 0 });
    base = `ws://127.0.0.1:${server.port}`;
    stop = server.close;
  });
  after(() => stop());

  test('a receive timeout leaves the connection usable and loses nothing', async () => {
    const conn = await ws.connect(`${base}/late`);
    for (let i = 0; i < 5; i++) assert.equal(await conn.receive(0.02), null);
    assert.equal(await conn.receive(0), null, '0 polls');
    release!();
    const got = [];
    for (let i = 0; i < 5; i++) got.push(await conn.receive(2));
    assert.deepEqual(got, ['late 0', 'late 1', 'late 2', 'late 3', 'late 4']);
    await conn.close();
  });

  test('connected() stays true until every message sent before the close is read', async () => {
    const conn = await ws.connect(`${base}/three-then-close`);
    await conn.engine.whenClosed(); // the server sent its three messages and closed
    const got = [];
    while (conn.connected()) {
      const msg = await conn.receive(5);
      if (msg !== null) got.push(msg);
    }
    assert.deepEqual(got, ['a', [1], '{"n":3}']);
    assert.equal(await conn.receive(5), null, 'disconnected: None at once');
  });

  test('value conventions: dict → JSON, list ↔ bytes, type checks', async () => {
    const conn = await ws.connect(`${base}/echo`, 5, {});
    await conn.send({ k: [1, 'two', null] });
    assert.equal(await conn.receive(), '{"k":[1,"two",null]}');
    await conn.send([1, 2]);
    assert.equal(await conn.receive(), '[1,2]');
    await conn.send_binary(new Uint8Array([5, 6]));
    assert.deepEqual(await conn.receive({ timeout: 5 }), [5, 6]);
    await conn.send_binary(Buffer.from([7]));
    assert.deepEqual(await conn.receive(null), [7]);
    await conn.send_binary([]);
    assert.deepEqual(await conn.receive(5), []);
    await assert.rejects(conn.send_binary([1, 256]), (e: Error) => e instanceof TypeError && /item 1 is number 256/.test(e.message));
    await assert.rejects(conn.send_binary([1.5]), TypeError);
    await assert.rejects(conn.send_binary(['a'] as never), TypeError);
    await assert.rejects(conn.send_binary('bytes' as never), TypeError);
    await assert.rejects(conn.send(42 as never), /send\(\) takes a string or a dict/);
    await assert.rejects(conn.send(null as never), TypeError);
    await assert.rejects(conn.send(Buffer.from('x') as never), /use send_binary/);
    await assert.rejects(conn.receive(-1), TypeError);
    await assert.rejects(conn.receive('5' as never), TypeError);
    assert.equal(await conn.receive(0.05), null, 'nothing was sent by the rejected calls');
    await conn.close();
    await conn.close();
    await assert.rejects(conn.send('after close'), /cannot send: the connection is closed/);
    await assert.rejects(conn.close(999), RangeError);
  });

  test('is_text / is_binary', () => {
    assert.equal(ws.is_text('x'), true);
    assert.equal(ws.is_text([1]), false);
    assert.equal(ws.is_binary([1, 2]), true);
    assert.equal(ws.is_binary(new Uint8Array(1)), true);
    assert.equal(ws.is_binary('x'), false);
    assert.equal(ws.is_text(null), false);
    assert.equal(ws.is_binary(null), false);
  });

  test('connect errors start with "websocket connect failed:"', async () => {
    await assert.rejects(ws.connect('ftp://x/'), /^ConnectError: websocket connect failed: unsupported URL scheme/);
    await assert.rejects(ws.connect(`${base}/echo`, 0), /websocket connect failed: timeout must be a positive number/);
    await assert.rejects(ws.connect(`${base}/echo`, 'soon' as never), /websocket connect failed: connect\(\) timeout must be a number/);
    await assert.rejects(ws.connect(`${base}/nope`), /websocket connect failed: unexpected HTTP status 404/);
    await assert.rejects(ws.connect(`${base}/echo`, 5, { 'X-A': 'b\r\nc' }), /websocket connect failed: invalid value for header X-A/);
  });

  test('many concurrent receives are served in order', async () => {
    const conn = await ws.connect(`${base}/echo`);
    const pending = [conn.receive(5), conn.receive(5), conn.receive(5)];
    await conn.send('1');
    await conn.send('2');
    await conn.send('3');
    assert.deepEqual(await Promise.all(pending), ['1', '2', '3']);
    await conn.close();
  });

  test('plain pages and 404s', async () => {
    const http = `http${base.slice(2)}`;
    const page = await fetch(`${http}/page`);
    assert.equal(await page.text(), 'page body');
    assert.equal((await fetch(`${http}/missing`)).status, 404);
    assert.equal((await fetch(`${http}/echo`)).status, 426);
  });

  test('toMilliseconds', () => {
    assert.equal(toMilliseconds(undefined, 30, 'x'), 30_000);
    assert.equal(toMilliseconds(null, 30, 'x'), Infinity);
    assert.equal(toMilliseconds(Infinity, 30, 'x'), Infinity);
    assert.equal(toMilliseconds(0.5, 30, 'x'), 500);
    assert.throws(() => toMilliseconds(NaN, 30, 'x'), TypeError);
  });
});

describe('runtime.http', () => {
  test('"library.function" handlers load once per runtime and share state', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sws-lib-'));
    writeFileSync(join(dir, 'counter.mjs'), `let n = 0;\nexport async function count(client) { n++; await client.send(String(n)); }\nexport const notAFunction = 1;\n`);
    const runtime = ws.createRuntime();
    runtime.http.websocket('/count', 'counter.count');
    const server = await runtime.http.serve({ port: 0, libraryPath: dir });
    const got = [];
    for (let i = 0; i < 3; i++) {
      const conn = await ws.connect(`ws://127.0.0.1:${server.port}/count`);
      got.push(await conn.receive(5));
      await conn.close();
    }
    assert.deepEqual(got, ['1', '2', '3']);
    await server.close();

    const missing = ws.createRuntime();
    missing.http.websocket('/x', 'nolib.handler');
    await assert.rejects(missing.http.serve({ port: 0, libraryPath: dir }), /no nolib\.mjs or nolib\.js/);
    const notFn = ws.createRuntime();
    notFn.http.websocket('/x', 'counter.notAFunction');
    await assert.rejects(notFn.http.serve({ port: 0, libraryPath: dir }), /has no function notAFunction/);
  });

  test('registration errors are clear', () => {
    const runtime = ws.createRuntime();
    assert.throws(() => runtime.http.websocket('chat', () => {}), /must start with "\/"/);
    assert.throws(() => runtime.http.websocket('/chat', 'nodot'), /"library\.function"/);
    assert.throws(() => runtime.http.websocket('/chat', 42 as never), /function or a "library\.function"/);
  });

  test('a failing page answers 500 and the server keeps running', async () => {
    const runtime = ws.createRuntime();
    runtime.http.get('/bad', () => {
      throw new Error('page bug');
    });
    const original = console.error;
    console.error = () => {};
    try {
      const server = await runtime.http.serve({ port: 0 });
      assert.equal((await fetch(`http://127.0.0.1:${server.port}/bad`)).status, 500);
      await server.close();
    } finally {
      console.error = original;
    }
  });
});

test('timesToMilliseconds converts every time option from seconds and passes the rest on', () => {
  const out = timesToMilliseconds({ timeout: 2, closeTimeout: 0.5, handshakeTimeout: null, pingInterval: 20, pingTimeout: 0, maxMessageSize: 7 }, 'serve()');
  assert.deepEqual(out, { timeout: 2000, closeTimeout: 500, handshakeTimeout: Infinity, pingInterval: 20_000, pingTimeout: 0, maxMessageSize: 7 });
  assert.throws(() => timesToMilliseconds({ closeTimeout: -1 }, 'serve()'), /serve\(\) closeTimeout must be a number of seconds/);
});

describe('the text a handler received, sent back unchanged (issue 21)', () => {
  test('goes out as the bytes that came in, not encoded again; another string of the same length is encoded', async () => {
    const runtime = ws.createRuntime();
    const sentAs: string[] = [];
    runtime.http.websocket('/', async (client: WebSocketConnection) => {
      const engine = client.engine;
      const sendText = engine.sendText.bind(engine);
      engine.sendText = (data, options) => {
        sentAs.push(typeof data === 'string' ? 'string' : 'bytes');
        return sendText(data, options);
      };
      const msg = await client.receive(10);
      assert.equal(typeof msg, 'string');
      const text = msg as string;
      await client.send(text);
      await client.send(text); // twice: the bytes are not used up
      await client.send(`Z${text.slice(1)}`); // same length, other contents
      const small = await client.receive(10);
      await client.send(small as string);
      await client.send(text); // the large one is no longer the last received: encoded
    });
    const server = await runtime.http.serve({ port: 0 });
    const conn = await ws.connect(`ws://127.0.0.1:${server.port}/`);
    const large = 'aé€😀'.repeat(5000); // 50 KB of UTF-8 with 1- to 4-byte characters
    await conn.send(large);
    assert.equal(await conn.receive(10), large);
    assert.equal(await conn.receive(10), large);
    assert.equal(await conn.receive(10), `Z${large.slice(1)}`);
    await conn.send('small');
    assert.equal(await conn.receive(10), 'small');
    assert.equal(await conn.receive(10), large);
    assert.deepEqual(sentAs, ['bytes', 'bytes', 'string', 'string', 'string']);
    await conn.close();
    await server.close();
  });
});
