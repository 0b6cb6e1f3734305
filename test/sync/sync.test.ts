// The synchronous API's own promises: time limits kept on the calling
// thread, one worker for many connections, any message size, flow control,
// the async binding's errors, and no hang or stuck process whatever the
// worker does. Servers run in child processes (a sync call blocks this thread).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, fstatSync, openSync, readdirSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomFillSync } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as ws from '../../src/sync/index.js';
import * as binding from '../../src/scriptling/index.js';
import type { ConnectError } from '../../src/transport/client.js';
import { serializeError } from '../../src/sync/messages.js';
import { WebSocketError } from '../../src/protocol/errors.js';
import { HERE, requirePython, secondsSince, startSeedPeer, type SeedPeer } from './peers.js';

const misbehaving = pathToFileURL(join(HERE, 'misbehaving-engine.mjs'));
/** Threads of this process (Linux). */
const threadCount = (): number => readdirSync('/proc/self/task').length;

/** Our seed server for the tests of one describe block. */
function ourServer(): { peer: SeedPeer } {
  const holder = {} as { peer: SeedPeer };
  before(async () => {
    holder.peer = await startSeedPeer('ours');
  });
  after(() => holder.peer.stop());
  return holder;
}

describe('sync API', () => {
  const server = ourServer();

  test('receive(0.5) returns null after about 0.5 s, and the connection stays usable', () => {
    const conn = ws.connect(server.peer.url('/echo'));
    const started = performance.now();
    assert.equal(conn.receive(0.5), null);
    const took = secondsSince(started);
    assert.ok(took >= 0.49 && took < 3, `took ${took} s`);
    assert.equal(conn.connected(), true);
    conn.send('still here');
    assert.equal(conn.receive({ timeout: 5 }), 'Echo text: still here');
    conn.close();
  });

  test('receive(0) polls: null at once when nothing came, the message once it has', () => {
    const conn = ws.connect(server.peer.url('/echo'));
    let started = performance.now();
    assert.equal(conn.receive(0), null);
    assert.ok(secondsSince(started) < 0.5);
    conn.send('poll me');
    started = performance.now();
    let msg = conn.receive(0);
    while (msg === null && secondsSince(started) < 10) msg = conn.receive(0);
    assert.equal(msg, 'Echo text: poll me');
    conn.close();
  });

  test('receive(null) waits as long as it takes', () => {
    const conn = ws.connect(server.peer.url('/later'));
    conn.send('patience');
    const started = performance.now();
    assert.equal(conn.receive(null), 'later: patience');
    assert.ok(secondsSince(started) >= 0.29);
    conn.close();
  });

  test('after close(), connected() stays true while unread messages remain, and they can still be read', () => {
    const conn = ws.connect(server.peer.url('/mixed'));
    assert.equal(conn.receive(5), 'text one');
    conn.close();
    assert.equal(conn.connected(), true);
    assert.deepEqual(conn.receive(5), [0xde, 0xad, 0xbe, 0xef]);
    assert.equal(conn.receive(5), 'text two');
    assert.equal(conn.connected(), false);
    assert.equal(conn.receive(5), null);
  });

  test('connect() honours its timeout against a server that never answers the handshake', () => {
    const started = performance.now();
    assert.throws(() => ws.connect(`ws://127.0.0.1:${server.peer.blackhole}/`, 0.5), {
      name: 'ConnectError',
      code: 'ETIMEDOUT',
      message: 'websocket connect failed: timed out after 0.5 s',
    });
    const took = secondsSince(started);
    assert.ok(took >= 0.49 && took < 3, `took ${took} s`);
  });

  test('many connections from one thread share one worker thread', () => {
    const first = ws.connect(server.peer.url('/echo'));
    const threads = threadCount();
    const conns = Array.from({ length: 30 }, () => ws.connect(server.peer.url('/echo')));
    // A worker per connection would add 30 threads or more.
    assert.ok(threadCount() - threads < 5, `${threadCount() - threads} more threads`);
    conns.forEach((conn, i) => conn.send(`n${i}`));
    for (let i = conns.length - 1; i >= 0; i--) assert.equal(conns[i].receive(5), `Echo text: n${i}`);
    for (const conn of [first, ...conns]) conn.close();
    assert.ok(conns.every((conn) => !conn.connected()));
  });

  test('large messages cross whole: 1 MiB of text, 4 MiB of binary as a list', () => {
    // Above the binding's 1 MiB default maxMessageSize, so both sides raise it.
    const conn = ws.connect(server.peer.url('/echo'), { maxMessageSize: 2 ** 24 });
    const text = 'ü'.repeat(512 * 1024);
    conn.send(text);
    assert.equal(conn.receive(10), `Echo text: ${text}`);
    const bytes = Array.from({ length: 4 * 1024 * 1024 }, (_, i) => (i * 7) & 0xff);
    conn.send_binary(bytes);
    const back = conn.receive(10) as number[];
    assert.ok(Array.isArray(back));
    assert.equal(back.length, bytes.length);
    assert.ok(back.every((b, i) => b === bytes[i]));
    conn.close();
  });

  test('a reader that falls behind loses nothing: 24 MiB arrive whole and in order', () => {
    const conn = ws.connect(server.peer.url('/flood'));
    conn.send('flood 96 262144');
    for (let i = 0; i < 96; i++) {
      const msg = conn.receive(10) as number[];
      assert.equal(msg.length, 262144);
      assert.equal(msg[0], i & 0xff);
    }
    assert.equal(conn.receive(10), 'flood done');
    conn.close();
  });

  test('sends beyond the send window block until written, and all arrive', () => {
    const conn = ws.connect(server.peer.url('/echo'));
    const chunk = new Uint8Array(256 * 1024).fill(3);
    for (let i = 0; i < 16; i++) {
      chunk[0] = i;
      conn.send_binary(chunk);
    }
    for (let i = 0; i < 16; i++) assert.equal((conn.receive(10) as number[])[0], i);
    conn.close();
  });

  test('a peer that stops reading: sends past the kernel and the send window wait, and all arrive in order', () => {
    const conn = ws.connect(server.peer.url('/slow-reader'));
    conn.send('slow 12 500');
    // Random, so permessage-deflate cannot shrink it into what the kernel takes at once; 1 MiB each, so one is a send window.
    const chunk = randomFillSync(new Uint8Array(1024 * 1024));
    for (let i = 0; i < 12; i++) {
      chunk[0] = i;
      conn.send_binary(chunk);
    }
    assert.equal(conn.receive(20), `got 12: ${12 * 1024 * 1024} bytes`);
    conn.close();
  });

  test('send() blocks while a send window waits for a peer that does not read, then all arrive in order', () => {
    // Without compression, so the time is the wait, not the CPU.
    const conn = ws.connect(server.peer.url('/slow-reader'), { perMessageDeflate: false });
    conn.send('slow 16 1500');
    const started = performance.now();
    const chunk = randomFillSync(new Uint8Array(1024 * 1024));
    for (let i = 0; i < 16; i++) {
      chunk[0] = i;
      conn.send_binary(chunk);
    }
    // 16 MiB is far more than the kernel buffers and the 1 MiB send window hold while the peer waits 1.5 s.
    const took = secondsSince(started);
    assert.ok(took >= 1, `the sends returned after ${took} s, before the peer read`);
    assert.equal(conn.receive(20), `got 16: ${16 * 1024 * 1024} bytes`);
    conn.close();
  });

  test('receive(timeout) keeps its deadline while a peer never stops sending (a flood of Pings, each answered)', { timeout: 20_000 }, () => {
    const conn = ws.connect(server.peer.url('/ping-flood'));
    for (const seconds of [0.3, 0.6]) {
      const started = performance.now();
      assert.equal(conn.receive(seconds), null);
      const took = secondsSince(started);
      assert.ok(took >= seconds - 0.01 && took < seconds + 2, `receive(${seconds}) took ${took} s`);
    }
    conn.close();
  });

  test('a close that arrives while the script is away: seen at the next call, and the socket is never closed under the caller', () => {
    const conn = ws.connect(server.peer.url('/close-soon')); // the server sends a Close frame and ends the TCP connection
    assert.equal(conn.receive(0), null);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000); // away: the worker reads the Close and the end
    // A file opened now would get the socket's descriptor number had the worker closed it; the close reply must not land in it.
    const file = join(tmpdir(), `sync-victim-${process.pid}`);
    const fd = openSync(file, 'w+');
    try {
      assert.equal(conn.connected(), false);
      conn.close();
      assert.equal(fstatSync(fd).size, 0);
    } finally {
      closeSync(fd);
      unlinkSync(file);
    }
  });

  for (const socketThread of ['caller', 'worker'] as const) {
    test(`close() takes at most closeTimeout in all, with a server slow to answer that never ends TCP (sockets run by the ${socketThread})`, () => {
      const conn = new ws.SyncWorker({ socketThread }).connect(server.peer.url('/slow-close'), { closeTimeout: 2 });
      const started = performance.now();
      conn.close(); // the Close answer comes after 1.5 s, the end of TCP never
      const took = secondsSince(started);
      assert.ok(took >= 1.9 && took < 2.5, `close() took ${took} s`);
      assert.equal(conn.connected(), false);
    });
  }

  for (const [socketThread, peer] of [['caller', 'ours'], ['worker', 'ours'], ['caller', 'python websockets']] as const) {
    test(`Pings are answered while the script is busy between calls (sockets run by the ${socketThread}, peer ${peer})`, { skip: peer === 'python websockets' && requirePython }, async () => {
      const python = peer === 'python websockets' ? await startSeedPeer(peer) : null;
      try {
        const conn = new ws.SyncWorker({ socketThread }).connect((python ?? server.peer).url('/ping-me'));
        conn.send('ping me'); // the server pings at once
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1500); // a script busy elsewhere for 1.5 s
        const answer = conn.receive(5) as string;
        const ms = Number(/^pong after (\d+) ms$/.exec(answer)?.[1]);
        assert.ok(ms < 1000, `${answer}: answered while the script was busy`);
        conn.close();
      } finally {
        python?.stop();
      }
    });
  }

  for (const socketThread of ['caller', 'worker'] as const) {
    test(`keepalive while receive() waits: a peer that answers stays, a silent one is closed (sockets run by the ${socketThread})`, () => {
      const worker = new ws.SyncWorker({ socketThread });
      const keepalive = { pingInterval: 0.2, pingTimeout: 0.3 };
      const alive = worker.connect(server.peer.url('/echo'), keepalive);
      assert.equal(alive.receive(1.2), null); // several Pings answered meanwhile
      assert.equal(alive.connected(), true);
      alive.close();
      const silent = worker.connect(server.peer.url('/mute'), { ...keepalive, closeTimeout: 0.5 });
      const started = performance.now();
      assert.equal(silent.receive(10), null);
      const took = secondsSince(started);
      // The Ping goes out 0.2 s after the connection went quiet (at the latest when receive() began), then 0.3 s without a Pong.
      assert.ok(took >= 0.28 && took < 3, `closed after ${took} s: a Ping after 0.2 s of quiet, no Pong within 0.3 s`);
      assert.equal(silent.connected(), false);
      silent.close();
    });
  }

  test("send_binary copies a caller's Uint8Array, which stays usable", () => {
    const conn = ws.connect(server.peer.url('/echo'));
    const mine = new Uint8Array([5, 6, 7]);
    conn.send_binary(mine);
    assert.deepEqual([...mine], [5, 6, 7]);
    assert.deepEqual(conn.receive(5), [5, 6, 7]);
    conn.send_binary(Buffer.from([1, 2, 3, 4]).subarray(1, 3));
    assert.deepEqual(conn.receive(5), [2, 3]);
    conn.close();
  });

  test("errors are the async binding's: same class, message and code, thrown at once", async () => {
    const sync = ws.connect(server.peer.url('/silent'));
    const async = await binding.connect(server.peer.url('/silent'));
    const same = async (syncCall: () => unknown, asyncCall: () => Promise<unknown>) => {
      const expected = await asyncCall().then(() => assert.fail('the async binding did not reject'), (error: Error) => error);
      assert.throws(syncCall, (error: Error & { code?: string }) => {
        assert.equal(error.constructor, expected.constructor);
        assert.equal(error.message, expected.message);
        assert.equal(error.code, (expected as Error & { code?: string }).code);
        for (const refusal of ['status', 'headers', 'body'] as const) {
          assert.deepEqual((error as ConnectError)[refusal], (expected as ConnectError)[refusal], refusal);
        }
        return true;
      });
    };
    await same(() => sync.send(5 as never), () => async.send(5 as never));
    await same(() => sync.send(undefined as never), () => async.send(undefined as never));
    await same(() => sync.send_binary([1, 256]), () => async.send_binary([1, 256]));
    await same(() => sync.send_binary('abc' as never), () => async.send_binary('abc' as never));
    await same(() => sync.receive(-1), () => async.receive(-1));
    await same(() => sync.receive('soon' as never), () => async.receive('soon' as never));
    await same(() => sync.close(999), () => async.close(999));
    await same(() => ws.connect('http://127.0.0.1/'), () => binding.connect('http://127.0.0.1/'));
    await same(() => ws.connect('ws://127.0.0.1:1/', 2), () => binding.connect('ws://127.0.0.1:1/', 2));
    await same(() => ws.connect(server.peer.url('/echo'), -1), () => binding.connect(server.peer.url('/echo'), -1));
    await same(() => ws.connect(42 as never), () => binding.connect(42 as never));
    await same(() => ws.connect(server.peer.url('/no-such-path')), () => binding.connect(server.peer.url('/no-such-path')));
    sync.close();
    await async.close();
    await same(() => sync.send('late'), () => async.send('late'));
    assert.equal(sync.connected(), false);
    sync.close(); // idempotent
  });

  test('a send that fails in the worker after send() returned is thrown by the next send, once', () => {
    const conn = new ws.SyncWorker({ socketThread: 'worker' }).connect(server.peer.url('/echo'));
    // What the worker reports when the engine refuses a queued send (a connection closing at that very moment).
    conn.onEvent({ type: 'sendFailed', conn: 0, error: serializeError(new WebSocketError('WS_ERR_NOT_OPEN', 1000, 'cannot send: the connection is closing')) });
    assert.throws(() => conn.send('next'), { name: 'WebSocketError', code: 'WS_ERR_NOT_OPEN', message: 'cannot send: the connection is closing' });
    conn.send('then it works');
    assert.equal(conn.receive(5), 'Echo text: then it works');
    conn.close();
  });

  test("socketThread is 'caller' (the default) or 'worker', anything else a TypeError", () => {
    assert.throws(() => new ws.SyncWorker({ socketThread: 'main' as 'caller' }), { name: 'TypeError', message: "socketThread must be 'caller' or 'worker', not main" });
    const caller = ws.connect(server.peer.url('/echo'));
    const worker = new ws.SyncWorker({ socketThread: 'worker' }).connect(server.peer.url('/echo'));
    assert.equal(caller.constructor.name, 'CallerConnection');
    assert.equal(worker.constructor.name, 'WorkerConnection');
    for (const conn of [caller, worker]) {
      conn.send('which?');
      assert.equal(conn.receive(5), 'Echo text: which?');
      conn.close();
    }
  });

  test('http2 is refused clearly (a ConnectError ERR_UNSUPPORTED, nothing sent), not with a TypeError', () => {
    for (const socketThread of ['caller', 'worker'] as const) {
      assert.throws(() => new ws.SyncWorker({ socketThread }).connect('wss://127.0.0.1:9/', { http2: true }), {
        name: 'ConnectError',
        code: 'ERR_UNSUPPORTED',
        message: /^websocket connect failed: http2 is not supported by the synchronous API/,
      }, socketThread);
    }
  });

  test('connect options that cannot cross to the worker thread are refused clearly', () => {
    assert.throws(() => ws.connect(server.peer.url('/echo'), { checkServerIdentity: () => undefined }), {
      name: 'TypeError',
      message: /^websocket connect failed: the sync API takes options that can be copied to the worker thread/,
    });
  });
});

/**
 * Makes the test engine misbehave on one connection: a worker-run one is
 * told in a message (the worker handles the send), a caller-run one in its
 * URL (done when the caller first waits for data: the worker handles no
 * send of it).
 */
function misbehavingConnection(worker: ws.SyncWorker, socketThread: 'caller' | 'worker', url: string, what: string, timeout = 10): ws.SyncConnection {
  if (socketThread === 'worker') {
    const conn = worker.connect(url, timeout);
    conn.send(what);
    return conn;
  }
  return worker.connect(`${url}?misbehave=${encodeURIComponent(what)}`, timeout);
}

for (const socketThread of ['caller', 'worker'] as const) {
  describe(`sync API when the worker misbehaves (sockets run by the ${socketThread})`, () => {
    const server = ourServer();

    test('a busy worker: receive(0.5) still returns null after about 0.5 s, and the message is not lost', () => {
      const worker = new ws.SyncWorker({ engineFile: misbehaving, socketThread });
      const conn = misbehavingConnection(worker, socketThread, server.peer.url('/echo'), 'block 2500');
      const started = performance.now();
      assert.equal(conn.receive(0.5), null);
      const took = secondsSince(started);
      assert.ok(took >= 0.49 && took < 2, `took ${took} s`);
      conn.send('after');
      if (socketThread === 'worker') assert.equal(conn.receive(10), 'Echo text: block 2500');
      assert.equal(conn.receive(10), 'Echo text: after');
      conn.close();
    });

    test('a busy worker: connect(url, 0.5) still gives up after about 0.5 s', () => {
      const worker = new ws.SyncWorker({ engineFile: misbehaving, socketThread });
      const conn = misbehavingConnection(worker, socketThread, server.peer.url('/echo'), 'block 2500');
      if (socketThread === 'caller') assert.equal(conn.receive(0.05), null); // its first wait for data makes the worker busy
      const started = performance.now();
      assert.throws(() => worker.connect(server.peer.url('/echo'), 0.5), { name: 'ConnectError', code: 'ETIMEDOUT' });
      const took = secondsSince(started);
      assert.ok(took >= 0.49 && took < 2, `took ${took} s`);
      // Once the worker is free again, it still serves (and drops the connection given up on).
      const later = worker.connect(server.peer.url('/echo'), 10);
      later.send('after');
      assert.equal(later.receive(10), 'Echo text: after');
      later.close();
      conn.close();
    });

    test('an engine that cannot even load: connect() throws WorkerDiedError, not a hang', () => {
      const worker = new ws.SyncWorker({ engineFile: pathToFileURL(join(HERE, 'no-such-engine.mjs')), socketThread });
      assert.throws(() => worker.connect(server.peer.url('/echo')), { name: 'WorkerDiedError', message: /no-such-engine\.mjs/ });
    });

    const deaths: Array<[string, string, RegExp, object]> = [
      ['an uncaught error', 'throw', /^the websocket worker thread died: Error: boom in the engine$/, {}],
      ['process.exit() in the worker', 'exit', /^the websocket worker thread died: it exited with code 3$/, {}],
      ['running out of memory', 'oom', /^the websocket worker thread died: .*ERR_WORKER_OUT_OF_MEMORY|out of memory/i, { maxOldGenerationSizeMb: 32 }],
    ];
    for (const [what, trigger, message, resourceLimits] of deaths) {
      test(`${what}: the blocked caller gets WorkerDiedError, not a hang`, () => {
        const worker = new ws.SyncWorker({ engineFile: misbehaving, resourceLimits, socketThread });
        const conn = misbehavingConnection(worker, socketThread, server.peer.url('/echo'), trigger);
        const started = performance.now();
        assert.throws(() => {
          for (;;) conn.receive(null); // the echo of the trigger may come first
        }, { name: 'WorkerDiedError', code: 'WS_ERR_WORKER_DIED', message });
        assert.ok(secondsSince(started) < 20);
        // Every later call says so too, except close(): there is nothing left to close.
        assert.throws(() => conn.connected(), { code: 'WS_ERR_WORKER_DIED' });
        assert.throws(() => conn.receive(0), { code: 'WS_ERR_WORKER_DIED' });
        assert.throws(() => conn.send('anyone there?'), { code: 'WS_ERR_WORKER_DIED' });
        assert.throws(() => worker.connect(server.peer.url('/echo')), { code: 'WS_ERR_WORKER_DIED' });
        conn.close();
      });
    }
  });
}

for (const busy of [false, true]) {
  test(`a script that never calls close() still exits by itself, and its last send goes out${busy ? ' (worker busy at exit)' : ''}`, async () => {
    const peer = await startSeedPeer('ours');
    try {
      // The chat broadcasts to every client: this one sees what the script sent.
      const observer = ws.connect(peer.url('/chat'));
      assert.equal(observer.receive(5), 'Welcome to the chat!');
      const args = [join(HERE, 'forgetful-client.mjs'), peer.url('/chat'), ...(busy ? ['./misbehaving-engine.mjs'] : [])];
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      const timer = setTimeout(() => child.kill(), 20_000);
      const code = await new Promise((resolve) => child.on('exit', resolve));
      clearTimeout(timer);
      assert.equal(code, 0, 'exited by itself, not killed');
      assert.equal(out, 'Welcome to the chat!\n');
      if (busy) assert.equal(observer.receive(5), 'block 300');
      assert.equal(observer.receive(5), 'sent just before the end');
      observer.close();
    } finally {
      peer.stop();
    }
  });
}
