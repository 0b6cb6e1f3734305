import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type net from 'node:net';
import { connect } from '../../src/transport/client.js';
import { WebSocketServer } from '../../src/transport/server.js';
import { TextBytes, checkConnectionLimits, type WebSocket } from '../../src/transport/websocket.js';
import { WebSocketError } from '../../src/protocol/errors.js';
import { MAX_TIMER_DELAY } from '../../src/transport/timers.js';
import { KEEPALIVE_GRANULARITY, keepaliveWheel } from '../../src/transport/timer-wheel.js';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { RawPeer, startServer, echo, clientFrame, parseFrames, rawServer, requestKey, switching } from '../helpers.js';

/** A server whose route hands its WebSocket to the test. */
async function serverConnection(options: Parameters<typeof startServer>[1] = {}) {
  let handed: (ws: WebSocket) => void;
  const accepted = new Promise<WebSocket>((resolve) => {
    handed = resolve;
  });
  const started = await startServer({ '/': (ws) => {
    handed(ws);
    return ws.whenClosed();
  } }, options);
  return { ...started, accepted };
}

describe('send: types and ownership of the bytes (issue 10, items 3 and 5)', () => {
  test('a wrong type rejects with a TypeError, sends nothing, and the stream stays intact', async () => {
    const { server, url } = await startServer();
    const ws = await connect(url, { perMessageDeflate: false });
    for (const bad of [[1, 2, 3], 123, {}, null, undefined]) {
      await assert.rejects(ws.send(bad as unknown as string), TypeError, JSON.stringify(bad));
    }
    await ws.send('after the bad ones');
    assert.equal(await ws.receive(), 'after the bad ones');
    await ws.send(new Uint8Array([1, 2, 3]).buffer);
    assert.deepEqual(await ws.receive(), Buffer.from([1, 2, 3]), 'an ArrayBuffer is its bytes, not an empty frame');
    await ws.send(new Uint16Array([0x0201]));
    assert.deepEqual(await ws.receive(), Buffer.from([1, 2]), 'any view is its bytes');
    await ws.close();
    await server.close();
  });

  test('the server sends the bytes as they were at send(), whatever the caller does after the await', async () => {
    for (const size of [100, 200_000]) {
      const { server, port, accepted } = await serverConnection({ perMessageDeflate: false });
      const { peer } = await RawPeer.handshake(port);
      const ws = await accepted;
      const bytes = new Uint8Array(size).fill(1);
      await ws.send(bytes);
      bytes.fill(9);
      const [got] = await peer.readFrames(1);
      assert.equal(got.payload.length, size);
      assert.ok(got.payload.every((b) => b === 1), `${size} bytes: what was sent, not what the caller wrote afterwards`);
      peer.close();
      await server.close();
    }
  });
});

describe('large sends lend the buffer (issue 21): reuse once the promise settles', () => {
  const SIZE = 1024 * 1024;

  test('a lent 1 MiB payload is written uncopied: changed before the flush, the change goes out (the documented "do not")', async () => {
    const { server, port, accepted } = await serverConnection({ perMessageDeflate: false });
    const { peer } = await RawPeer.handshake(port);
    const ws = await accepted;
    const bytes = Buffer.alloc(SIZE, 1);
    const sent = ws.send(bytes);
    bytes.fill(7); // breaks the rule, synchronously, before the frame is flushed: shows the payload is not copied
    await sent;
    const [got] = await peer.readFrames(1);
    assert.equal(got.payload.length, SIZE);
    assert.ok(got.payload.every((b) => b === 7), 'the caller\'s buffer itself went to the socket');
    peer.close();
    await server.close();
  });

  test('after the promise resolves the bytes are written: reusing the buffer at once changes nothing sent', async () => {
    const { server, port, accepted } = await serverConnection({ perMessageDeflate: false });
    const { peer } = await RawPeer.handshake(port);
    const ws = await accepted;
    const bytes = Buffer.alloc(SIZE);
    // The same buffer refilled for each message as soon as its send resolves, as a producer reusing one buffer would.
    for (let i = 1; i <= 3; i++) {
      bytes.fill(i);
      await ws.send(bytes);
    }
    bytes.fill(0);
    const frames = await peer.readFrames(3, 10_000);
    assert.deepEqual(frames.map((f) => [f.payload.length, f.payload.every((b) => b === f.payload[0]) ? f.payload[0] : -1]), [[SIZE, 1], [SIZE, 2], [SIZE, 3]]);
    peer.close();
    await server.close();
  });

  test("'copy' takes the bytes at once; a connection that ends before the write rejects the lent send with its close code", async () => {
    const { server, port, accepted } = await serverConnection({ perMessageDeflate: false });
    const { peer } = await RawPeer.handshake(port);
    const ws = await accepted;
    const bytes = Buffer.alloc(SIZE, 1);
    const copied = ws.send(bytes, { buffer: 'copy' });
    bytes.fill(7);
    await copied;
    const [got] = await peer.readFrames(1);
    assert.ok(got.payload.every((b) => b === 1), "'copy': what was there at send()");
    const lent = ws.send(bytes);
    ws.terminate();
    await assert.rejects(lent, (error: WebSocketError) => error.code === 'WS_ERR_CLOSED' && error.closeCode === 1006);
    peer.close();
    await server.close();
  });
});

describe('textAsBytes (issue 21): text handed out as validated bytes, relayed without a decode', () => {
  test('receiveBytes gives TextBytes (isBinary false) and binary Buffers; send(TextBytes) goes out as that text', async () => {
    const { server, url } = await startServer({ '/': async (ws) => {
      for (let m = await ws.receiveBytes(); m !== null; m = await ws.receiveBytes()) {
        if (m instanceof TextBytes) assert.equal(m.isBinary, false);
        await ws.send(m);
      }
    } }, { perMessageDeflate: false, textAsBytes: true });
    const ws = await connect(url, { perMessageDeflate: false, textAsBytes: true });
    const large = 'é€😀'.repeat(10_000); // 90 KB: spans socket chunks, collected whole
    for (const text of ['héllo', large]) {
      await ws.sendText(text);
      const echoed = await ws.receiveBytes();
      assert.ok(echoed instanceof TextBytes);
      assert.deepEqual(echoed.bytes, Buffer.from(text, 'utf8'));
      assert.equal(echoed.toString(), text);
    }
    await ws.send(Buffer.from([0xff, 0x00]));
    assert.deepEqual(await ws.receiveBytes(), Buffer.from([0xff, 0x00]), 'binary stays a Buffer, however invalid as UTF-8');
    await ws.sendText('as a string');
    assert.equal(await ws.receive(), 'as a string', 'receive() still decodes with the option on');
    await ws.close();
    await server.close();
  });

  test('invalid UTF-8 still fails the connection with 1007, whole or in a frame split over chunks', async () => {
    for (const split of [false, true]) {
      const { server, port, accepted } = await serverConnection({ perMessageDeflate: false, textAsBytes: true });
      const { peer } = await RawPeer.handshake(port);
      const ws = await accepted;
      const frame = clientFrame(0x81, Buffer.concat([Buffer.alloc(40_000, 0x61), Buffer.from([0xc3, 0x28])]));
      if (split) {
        peer.write(frame.subarray(0, 30_000));
        await new Promise((resolve) => setImmediate(resolve));
        peer.write(frame.subarray(30_000));
      } else {
        peer.write(frame);
      }
      assert.equal(await ws.receiveBytes(), null, 'no message');
      const [close] = await peer.readFrames(1);
      assert.equal(close.payload.readUInt16BE(0), 1007);
      peer.close();
      await server.close();
    }
  });
});

describe('a send waiting to drain when the connection dies (issue 10, item 9)', () => {
  for (const when of ['before the first write', 'once the kernel buffers are full']) {
    test(`rejects with the close code instead of resolving (peer resets ${when})`, async () => {
      const { server, port, accepted } = await serverConnection({ perMessageDeflate: false });
      const { peer } = await RawPeer.handshake(port);
      peer.socket.pause(); // a peer that never reads
      const ws = await accepted;
      const chunk = Buffer.alloc(1024 * 1024, 7);
      // Copied sends wait for 'drain' past the high-water mark (a lent one waits for its write instead: the test above).
      const sends = Array.from({ length: 20 }, () => ws.send(chunk, { buffer: 'copy' }));
      assert.ok(ws.bufferedAmount > 1024 * 1024, 'the sends are waiting for drain');
      if (when !== 'before the first write') await new Promise(setImmediate);
      peer.socket.resetAndDestroy();
      const results = await Promise.allSettled(sends);
      const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.ok(rejected.length > 0, 'the sends that never happened do not resolve as done');
      for (const { reason } of rejected) {
        assert.ok(reason instanceof WebSocketError);
        assert.equal(reason.code, 'WS_ERR_CLOSED');
        assert.equal(reason.closeCode, 1006);
      }
      await server.close();
    });
  }
});

describe('a bug of ours or a throwing callback (issue 10, item 11)', () => {
  test('fails that connection with 1011 and is reported through onError; the server keeps serving', async () => {
    const reported: Array<{ error: unknown; where: string }> = [];
    const boom = new Error('boom in onping');
    const { server, port, url } = await startServer({ '/': (ws) => {
      ws.onping = () => {
        throw boom;
      };
      return echo(ws);
    } }, { onError: (error, where) => reported.push({ error, where }) });
    const { peer } = await RawPeer.handshake(port);
    peer.write(clientFrame(0x89, 'hi'));
    const { frames, closed } = await peer.readUntilClosed();
    const close = frames.find((f) => f.opcode === 0x8)!;
    assert.equal(close.payload.readUInt16BE(0), 1011);
    assert.equal(close.payload.length, 2, 'the internal message stays private');
    assert.ok(closed);
    assert.deepEqual(reported, [{ error: boom, where: 'connection' }]);
    const other = await connect(url);
    await other.send('still serving');
    assert.equal(await other.receive(), 'still serving');
    await other.close();
    await server.close();
  });
});

describe('an onError that throws (issue 10, item 8)', () => {
  test('cannot end the process from a socket listener: the failure is logged and the connection still closes with 1011', async (t) => {
    const logged: unknown[][] = [];
    t.mock.method(console, 'error', (...args: unknown[]) => logged.push(args));
    const { server, port } = await startServer({ '/': (ws) => {
      ws.onping = () => {
        throw new Error('boom in onping');
      };
      return echo(ws);
    } }, { onError: () => {
      throw new Error('boom in onError');
    } });
    const { peer } = await RawPeer.handshake(port);
    peer.write(clientFrame(0x89, 'hi'));
    const { frames } = await peer.readUntilClosed();
    assert.equal(frames.find((f) => f.opcode === 0x8)!.payload.readUInt16BE(0), 1011);
    assert.ok(logged.some((args) => String(args[args.length - 1]).includes('boom in onError')), 'the throwing onError is logged');
    await server.close();
  });
});

describe('timeouts longer than 2^31−1 ms (issue 10, item 6)', () => {
  test('receive() with such a timeout waits for the message instead of returning null at once', async () => {
    const { server, url } = await startServer();
    const ws = await connect(url);
    let settled: unknown = 'pending';
    const pending = ws.receive(MAX_TIMER_DELAY + 1000).then((m) => {
      settled = m;
      return m;
    });
    for (let i = 0; i < 3; i++) await ws.ping(); // round trips: far longer than the 1 ms an overflowed timer takes
    assert.equal(settled, 'pending');
    await ws.send('late');
    assert.equal(await pending, 'late');
    await ws.close();
    await server.close();
  });

  test('a closeTimeout that long keeps waiting for the peer instead of dropping the connection at once', async () => {
    const silent = await silentServer();
    const ws = await connect(`ws://127.0.0.1:${silent.port}/`, { closeTimeout: MAX_TIMER_DELAY + 1000, pingInterval: 0 });
    const closing = ws.close();
    await silent.frames((frames) => frames.some((f) => f.opcode === 0x8)); // the peer got our Close frame and stays silent
    for (let i = 0; i < 3; i++) await new Promise(setImmediate);
    assert.notEqual(ws.state, 'CLOSED', 'still waiting for the Close reply');
    ws.terminate();
    await closing;
    silent.close();
  });

  test('limits are checked with RangeErrors naming the option', () => {
    for (const bad of [{ closeTimeout: NaN }, { maxQueuedBytes: -1 }, { sendHighWaterMark: 0.5 }, { pingInterval: -5 }, { pingTimeout: NaN }, { maxMessageSize: NaN }]) {
      const [name] = Object.keys(bad);
      assert.throws(() => checkConnectionLimits(bad), (e: Error) => e instanceof RangeError && e.message.startsWith(name), name);
    }
    checkConnectionLimits({ closeTimeout: Infinity, maxQueuedBytes: Infinity, pingInterval: 0, maxMessageSize: Infinity });
  });

  test('connect() rejects and a server refuses to be built with a bad limit or deflate setting; nothing is sent', async () => {
    const { server, url } = await startServer();
    for (const bad of [{ closeTimeout: NaN }, { maxMessageSize: -1 }, { pingTimeout: NaN }, { perMessageDeflate: { level: 42 } }]) {
      await assert.rejects(connect(url, bad), RangeError, JSON.stringify(bad));
      assert.throws(() => new WebSocketServer(bad), RangeError, JSON.stringify(bad));
    }
    const ws = await connect(url, { maxMessageSize: Infinity, closeTimeout: Infinity });
    await ws.send('unlimited works');
    assert.equal(await ws.receive(), 'unlimited works');
    await ws.close();
    await server.close();
  });
});

/** A raw server that completes the handshake and then never answers anything, recording what it gets. */
async function silentServer() {
  let received = Buffer.alloc(0);
  let notify = () => {};
  let ended = false;
  const gotSomething = () => new Promise<void>((resolve) => {
    notify = resolve;
  });
  const raw = await rawServer((socket: net.Socket, request) => {
    socket.write(switching(requestKey(request)));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      notify();
    });
    socket.on('close', () => {
      ended = true;
      notify();
    });
  });
  return {
    ...raw,
    async frames(predicate: (frames: ReturnType<typeof parseFrames>['frames']) => boolean) {
      while (!predicate(parseFrames(received).frames) && !ended) await gotSomething();
      return parseFrames(received).frames;
    },
  };
}

describe('keepalive (issue 9)', () => {
  test('client: a server that stops answering pings is closed with 1011 "keepalive ping timeout"', async () => {
    const silent = await silentServer();
    const ws = await connect(`ws://127.0.0.1:${silent.port}/`, { pingInterval: 50, pingTimeout: 100, closeTimeout: 100 });
    assert.equal(await ws.receive(), null, 'receive() returns null once the keepalive gives up');
    assert.equal(ws.connected, false);
    assert.equal(ws.closeInfo!.code, 1011);
    assert.equal((ws.closeInfo!.error as WebSocketError).code, 'WS_ERR_KEEPALIVE_TIMEOUT');
    const frames = await silent.frames((f) => f.some((x) => x.opcode === 0x8));
    assert.equal(frames[0].opcode, 0x9, 'a Ping first');
    const close = frames.find((f) => f.opcode === 0x8)!;
    assert.equal(close.payload.readUInt16BE(0), 1011);
    assert.equal(close.payload.subarray(2).toString(), 'keepalive ping timeout');
    silent.close();
  });

  test('server: a client that stops answering pings is closed with 1011, and the handler sees null', async () => {
    const { server, port, accepted } = await serverConnection({ pingInterval: 50, pingTimeout: 100 });
    const { peer } = await RawPeer.handshake(port);
    const ws = await accepted;
    assert.equal(await ws.receive(), null);
    assert.equal(ws.connected, false);
    const { frames, closeCode } = await peer.readUntilClosed();
    assert.equal(frames[0].opcode, 0x9);
    assert.equal(closeCode, 1011);
    await server.close();
  });

  test('a peer that keeps sending but is slow to answer is alive: bytes arriving extend the wait for the Pong', async () => {
    let streaming: NodeJS.Timeout | undefined;
    const busy = await rawServer((socket, request) => {
      socket.write(switching(requestKey(request)));
      // One fragment every 20 ms of a message that never ends: a Pong could only come after it (§5.4).
      socket.write(Buffer.from([0x01, 0x01, 0x61]));
      streaming = setInterval(() => socket.write(Buffer.from([0x00, 0x01, 0x61])), 20);
      socket.on('close', () => clearInterval(streaming));
    });
    // The timeout is 10 fragment gaps, so a busy test machine does not fake a silent peer.
    const ws = await connect(`ws://127.0.0.1:${busy.port}/`, { pingInterval: 10, pingTimeout: 200, closeTimeout: 100 });
    const socket = (ws as unknown as { socket: net.Socket }).socket;
    let chunks = 0;
    // Far past pingInterval + pingTimeout: 50 fragments take ~1 s.
    await new Promise<void>((resolve) => {
      socket.on('data', () => {
        if (++chunks === 50) resolve();
      });
      socket.on('close', () => resolve());
    });
    assert.equal(ws.connected, true, 'still open');
    clearInterval(streaming);
    ws.terminate();
    busy.close();
  });

  test('an answering peer stays connected, whatever the user does with onpong; latency is measured', async () => {
    const { server, url } = await startServer();
    const ws = await connect(url, { pingInterval: 20, pingTimeout: 2000 });
    let pongs = 0;
    await new Promise<void>((resolve) => {
      ws.onpong = () => {
        if (++pongs === 5) resolve();
      };
      void ws.whenClosed().then(resolve);
    });
    assert.equal(ws.connected, true);
    assert.ok(ws.latency > 0);
    await ws.close();
    await server.close();
  });

  test('keepalive runs from the one shared wheel: each Ping within interval + its slot, a missing Pong fails with 1011 within the bound', async () => {
    // pingInterval 400, pingTimeout 400: the wheel rounds these deadlines to 100 ms slots (a quarter of the times).
    const interval = 400;
    const timeout = 400;
    const step = Math.min(KEEPALIVE_GRANULARITY, interval / 4);
    const { server, port } = await startServer({ '/': (ws) => ws.whenClosed() }, { pingInterval: interval, pingTimeout: timeout });
    // How late this process's event loop runs meanwhile (server and peers share it) widens the bound: never a tight timing.
    const lateness = monitorEventLoopDelay({ resolution: 5 });
    lateness.enable();
    const onWheel = keepaliveWheel.size;
    const peers = await Promise.all(Array.from({ length: 20 }, async () => {
      const asked = performance.now(); // before the server has the request: the server's clock starts later
      const { peer } = await RawPeer.handshake(port);
      return { peer, asked, opened: performance.now() };
    }));
    assert.ok(keepaliveWheel.size >= onWheel + 20, 'every connection waits on the shared wheel, none on a timer of its own');
    const results = await Promise.all(peers.map(async ({ peer, asked, opened }) => {
      const [ping] = await peer.readFrames(1);
      const pinged = performance.now();
      const { frames, closeCode } = await peer.readUntilClosed();
      return { ping, asked, opened, pinged, closed: performance.now(), frames, closeCode };
    }));
    lateness.disable();
    const slack = lateness.max / 1e6 + 50;
    for (const r of results) {
      assert.equal(r.ping.opcode, 0x9, 'a Ping first');
      assert.ok(r.pinged - r.asked >= interval, `Ping after ${(r.pinged - r.asked).toFixed(0)} ms, not before the interval`);
      assert.ok(r.pinged - r.opened <= interval + step + slack, `Ping ${(r.pinged - r.opened).toFixed(0)} ms after the open: more than interval + ${step} + ${slack.toFixed(0)} ms`);
      assert.equal(r.closeCode, 1011);
      assert.equal(r.frames.find((f) => f.opcode === 0x8)!.payload.subarray(2).toString(), 'keepalive ping timeout');
      assert.ok(r.closed - r.asked >= interval + timeout, 'not failed before interval + timeout');
      assert.ok(r.closed - r.pinged <= timeout + step + slack, `failed ${(r.closed - r.pinged).toFixed(0)} ms after the Ping: more than timeout + ${step} + ${slack.toFixed(0)} ms`);
    }
    assert.equal(keepaliveWheel.size, onWheel, 'closed connections leave the wheel');
    await server.close();
  });

  test('keepalive is off with 0 or Infinity', async () => {
    const silent = await silentServer();
    const ws = await connect(`ws://127.0.0.1:${silent.port}/`, { pingInterval: 0 });
    const other = await connect(`ws://127.0.0.1:${silent.port}/`, { pingInterval: Infinity });
    assert.equal(await ws.receive(200), null, 'a timeout, not a close');
    assert.equal(ws.connected, true);
    assert.equal(other.connected, true);
    ws.terminate();
    other.terminate();
    silent.close();
  });

  test('pong() sends an unsolicited Pong (§5.5.3), which the peer does not take for an answer', async () => {
    const { server, port, accepted } = await serverConnection();
    const { peer } = await RawPeer.handshake(port);
    const ws = await accepted;
    await ws.pong(Buffer.from('beat'));
    const [got] = await peer.readFrames(1);
    assert.equal(got.opcode, 0xa);
    assert.equal(got.payload.toString(), 'beat');
    await assert.rejects(ws.pong('x' as unknown as Uint8Array), TypeError);
    await assert.rejects(ws.pong(Buffer.alloc(126)), RangeError);
    peer.close();
    await server.close();
  });

  test('ping() resolves with the round-trip time; a pending ping rejects when the connection closes', async () => {
    const { server, url } = await startServer();
    const ws = await connect(url);
    const rtt = await ws.ping(Buffer.from('x'));
    assert.ok(rtt > 0 && rtt < 5000);
    assert.equal(ws.latency, rtt);
    await ws.close();
    await server.close();

    const silent = await silentServer();
    const quiet = await connect(`ws://127.0.0.1:${silent.port}/`, { pingInterval: 0 });
    const unanswered = quiet.ping();
    quiet.terminate();
    await assert.rejects(unanswered, (e: WebSocketError) => e.code === 'WS_ERR_CLOSED');
    await assert.rejects(quiet.ping(), (e: WebSocketError) => e.code === 'WS_ERR_NOT_OPEN');
    silent.close();
  });
});
