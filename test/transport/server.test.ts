import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { WebSocketServer } from '../../src/transport/server.js';
import { connect } from '../../src/transport/client.js';
import type { WebSocket } from '../../src/transport/websocket.js';
import { RawPeer, startServer, echo, clientFrame, closeBody, settlesWithin, steady, waitFor } from '../helpers.js';

function get(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      res.resume();
      resolve({ status: res.statusCode!, headers: res.headers });
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode!, headers: res.headers });
    });
    req.on('error', reject);
    req.end();
  });
}

const upgradeHeaders = { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version': '13' };

describe('HTTP answers', () => {
  test('426 on a plain GET, 404 elsewhere, 400 for a malformed upgrade, 426 + version for a wrong version', async () => {
    const { server, port } = await startServer();
    const plain = await get(port, '/');
    assert.equal(plain.status, 426);
    assert.equal(plain.headers.upgrade, 'websocket');
    assert.equal((await get(port, '/nowhere')).status, 404);
    assert.equal((await get(port, '/nowhere', upgradeHeaders)).status, 404);
    assert.equal((await get(port, '/', { ...upgradeHeaders, 'Sec-WebSocket-Key': 'bad' })).status, 400);
    const noKey: Record<string, string> = { ...upgradeHeaders };
    delete noKey['Sec-WebSocket-Key'];
    assert.equal((await get(port, '/', noKey)).status, 400);
    assert.equal((await get(port, '/', upgradeHeaders, 'POST')).status, 400);
    const version = await get(port, '/', { ...upgradeHeaders, 'Sec-WebSocket-Version': '8' });
    assert.equal(version.status, 426);
    assert.equal(version.headers['sec-websocket-version'], '13');
    assert.equal((await get(port, '/?query=ignored', upgradeHeaders)).status, 101);
    await server.close();
  });

  test('garbage instead of HTTP gets 400 and the process survives', async () => {
    const { server, port } = await startServer();
    const peer = await RawPeer.connect(port);
    peer.write('\x16\x03\x01 not http at all\r\n\r\n');
    const reply = (await peer.readAll()).toString('latin1');
    assert.match(reply, /^HTTP\/1\.1 400/);
    await server.close();
  });

  test('a trickled handshake is cut off at the handshake timeout', async () => {
    const { server, port } = await startServer({ '/': echo }, { handshakeTimeout: 500 });
    const peer = await RawPeer.connect(port);
    const started = Date.now();
    const timer = setInterval(() => peer.socket.writable && peer.write('G'), 100);
    await peer.readAll(5000);
    clearInterval(timer);
    assert.ok(peer.ended);
    assert.ok(Date.now() - started < 4000, `closed after ${Date.now() - started} ms`);
    await server.close();
  });

  test('an oversized request head gets 431', async () => {
    const { server, port } = await startServer({ '/': echo }, { maxHeadSize: 2048 });
    const peer = await RawPeer.connect(port);
    peer.write(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(4096)}\r\n\r\n`);
    assert.match((await peer.readAll()).toString('latin1'), /^HTTP\/1\.1 431/);
    await server.close();
  });
});

describe('what an idle connection keeps', () => {
  test('the request head as text, not an object of its headers: 900 tiny headers cost about their bytes', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const count = 100;
    const server = new WebSocketServer({ maxHeadSize: 64 * 1024, pingInterval: 0, onError: () => {} });
    const requests: Array<WebSocket['request']> = [];
    server.route('/', async (ws) => {
      requests.push(ws.request);
      await ws.receive();
    });
    const { port } = await server.listen(0);
    let extra = '';
    // Node 22 and later answer 431 themselves past about 1,000 header lines; Node 20 kept the first 1,000 of more.
    for (let i = 0; i < 900; i++) extra += `h${i.toString(36)}: x\r\n`;
    const head = `GET /?q=1 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`;
    const sockets: net.Socket[] = [];
    try {
      gc();
      const before = process.memoryUsage().heapUsed;
      for (let i = 0; i < count; i++) {
        const socket = net.connect(port, '127.0.0.1');
        sockets.push(socket);
        await new Promise((resolve) => {
          socket.once('data', resolve);
          socket.write(head);
        });
      }
      await waitFor(() => requests.length === count);
      gc();
      const perConnection = (process.memoryUsage().heapUsed - before) / count;
      // As an object of headers they cost about 30 KiB; as text, the connection's 7 KiB and about their 8 KiB of bytes.
      assert.ok(perConnection < 24 * 1024, `${(perConnection / 1024).toFixed(1)} KiB per idle connection`);
      // Still all there when asked for.
      assert.equal(requests[0]!.headers.h0, 'x');
      assert.equal(requests[0]!.headers['sec-websocket-version'], '13');
      assert.equal(requests[0]!.query.q, '1');
      assert.equal(JSON.parse(JSON.stringify(requests[0])).headers.h0, 'x');
    } finally {
      for (const socket of sockets) socket.destroy();
      await server.close();
    }
  });
});

describe('ws.handshake on a server connection (made again when read, not kept as text)', () => {
  test('the response head is the one that went over the wire: agreed subprotocol, deflate and authorize headers included', async () => {
    const server = new WebSocketServer({ onError: () => {} });
    let handed: (ws: WebSocket) => void;
    const accepted = new Promise<WebSocket>((resolve) => (handed = resolve));
    server.route('/', (ws) => {
      handed(ws);
      return ws.whenClosed();
    }, { protocols: ['chat'], authorize: () => ({ headers: { 'X-Who': 'ok' } }) });
    const { port } = await server.listen(0, '127.0.0.1');
    const { peer, head } = await RawPeer.handshake(port, '/?a=1', 'Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Extensions: permessage-deflate\r\n');
    const ws = await accepted;
    assert.equal(ws.handshake!.response, head, 'the 101 as sent');
    assert.match(head, /\r\nSec-WebSocket-Protocol: chat\r\n/);
    assert.match(head, /\r\nSec-WebSocket-Extensions: permessage-deflate/);
    assert.match(head, /\r\nX-Who: ok$/);
    assert.match(ws.handshake!.request, /^GET \/\?a=1 HTTP\/1\.1\r\n[^]*Sec-WebSocket-Protocol: chat\r\n/);
    assert.deepEqual(JSON.parse(JSON.stringify(ws.handshake)), { request: ws.handshake!.request, response: head });
    peer.close();
    await server.close();
  });
});

describe('handlers', () => {
  test('ws.request: a client\'s "constructor" and "__proto__" headers and query parameters read as sent', async () => {
    const seen: Array<WebSocket['request']> = [];
    const { server, url } = await startServer({ '/': (ws) => void seen.push(ws.request) });
    const ws = await connect(`${url}/?constructor=1&__proto__=2`, { headers: JSON.parse('{"constructor": "c", "__proto__": "p"}') as Record<string, string> });
    await ws.whenClosed();
    const plain = await connect(url);
    await plain.whenClosed();
    await server.close();
    const [named, none] = seen;
    assert.equal(named!.headers.constructor, 'c');
    assert.equal(named!.headers['__proto__'], 'p');
    assert.equal(named!.query.constructor, '1');
    assert.equal(named!.query['__proto__'], '2');
    assert.equal(none!.headers.constructor, undefined, 'not the Object constructor');
    assert.equal(none!.query.constructor, undefined);
  });

  test('returning closes with 1000; throwing closes with 1011 and is reported', async () => {
    const errors: unknown[] = [];
    const { server, url } = await startServer({
      '/ok': async (ws) => {
        await ws.send('bye');
      },
      '/boom': () => {
        throw new Error('handler bug');
      },
    }, { onError: (e) => errors.push(e) });
    const ok = await connect(`${url}/ok`);
    assert.equal(await ok.receive(2000), 'bye');
    await ok.whenClosed();
    assert.equal(ok.closeInfo?.code, 1000);
    const boom = await connect(`${url}/boom`);
    await boom.whenClosed();
    assert.equal(boom.closeInfo?.code, 1011);
    assert.equal(boom.closeInfo?.reason, '', '1011 reasons stay private');
    assert.equal((errors[0] as Error).message, 'handler bug');
    await server.close();
  });

  test('closing the server sends 1001 to every client and waits for handlers', async () => {
    let ended = 0;
    const { server, url } = await startServer({
      '/': async (ws) => {
        while (ws.connected) await ws.receive();
        ended++;
      },
    });
    const clients = await Promise.all([connect(url), connect(url), connect(url)]);
    await waitFor(() => server.connectionCount === 3, { what: '3 server-side connections' });
    await server.close();
    assert.equal(ended, 3);
    for (const ws of clients) {
      await ws.whenClosed();
      assert.equal(ws.closeInfo?.code, 1001);
    }
  });

  test('the server closes TCP first after the closing handshake (§7.1.1)', async () => {
    const { server, port } = await startServer();
    const { peer } = await RawPeer.handshake(port);
    peer.write(clientFrame(0x88, closeBody(1000)));
    const { closeCode, closed } = await peer.readUntilClosed();
    assert.equal(closeCode, 1000);
    assert.equal(closed, true);
    await server.close();
  });

  test('a peer that never answers our Close is dropped after closeTimeout', async () => {
    let serverSide: WebSocket | null = null;
    const { server, port } = await startServer({
      '/': async (ws) => {
        serverSide = ws;
        await ws.close(1000);
      },
    }, { closeTimeout: 300 });
    const { peer } = await RawPeer.handshake(port);
    const started = Date.now();
    const { closeCode, closed } = await peer.readUntilClosed(3000);
    assert.equal(closeCode, 1000);
    assert.equal(closed, true);
    assert.ok(Date.now() - started < 2500);
    await serverSide!.whenClosed();
    assert.equal(serverSide!.closeInfo?.code, 1006);
    await server.close();
  });
});

describe('batching', () => {
  test('thousands of small sends in one tick, with large ones between, arrive whole and in order', async () => {
    const { server, url } = await startServer();
    const ws = await connect(url, { perMessageDeflate: false });
    const sent: Array<string | Buffer> = [];
    for (let i = 0; i < 3000; i++) {
      const message = i % 1000 === 500 ? Buffer.alloc(100_000, i & 0xff) : `m${i}`;
      sent.push(message);
      void ws.send(message);
    }
    for (const expected of sent) assert.deepEqual(await ws.receive(5000), expected);
    await ws.close();
    await server.close();
  });
});

/**
 * Sends `bursts` × `burst` to a server whose handler reads nothing, from a
 * peer that reads nothing either; once the server has stopped reading, returns `measure` of the
 * server's side and what the peer still could not send.
 */
async function flood(burst: Buffer, bursts: number, measure: (ws: WebSocket) => number): Promise<{ measured: number; backlog: number }> {
  let serverSide: WebSocket | null = null;
  const { server, port } = await startServer({
    '/': async (ws) => {
      serverSide = ws;
      await ws.whenClosed();
    },
  }, { maxQueuedBytes: 64 * 1024 });
  const { peer } = await RawPeer.handshake(port);
  peer.socket.pause();
  for (let i = 0; i < bursts; i++) peer.write(burst);
  // Until the server stops reading: then the peer's unsent bytes stop shrinking.
  const backlog = await steady(() => peer.socket.writableLength, { what: 'the server to stop reading' });
  const measured = measure(serverSide!);
  peer.close(); // unseen by the paused server socket: server.close() drops it after its timeout
  await server.close(500);
  return { measured, backlog };
}

describe('backpressure', () => {
  test('a peer that ends TCP without a Close frame: receive() gets null at once, the socket is closed (1006)', async () => {
    let result!: (r: { message: unknown; ms: number; code: number | undefined }) => void;
    let receiving!: () => void;
    const waiting = new Promise<void>((r) => (receiving = r));
    const outcome = new Promise<{ message: unknown; ms: number; code: number | undefined }>((r) => (result = r));
    const { server, port } = await startServer({
      '/': async (ws) => {
        const start = Date.now();
        const message = ws.receive(10_000);
        receiving();
        result({ message: await message, ms: Date.now() - start, code: ws.closeInfo?.code });
      },
    });
    const { peer } = await RawPeer.handshake(port);
    await waiting;
    peer.socket.end(); // FIN, no Close frame; node:http sockets allow half-open, so ours must end itself
    const { message, ms, code } = await outcome;
    await peer.until(() => peer.ended, 2000);
    const closing = Date.now();
    await server.close();
    assert.equal(message, null);
    assert.ok(ms < 2000, `receive() returned after ${ms} ms`);
    assert.equal(code, 1006);
    assert.ok(Date.now() - closing < 1000, 'no half-open connection left for server.close() to wait on');
  });

  test('a peer that pings but never reads: the server stops reading instead of buffering pongs', async () => {
    const ping = clientFrame(0x89, Buffer.alloc(125, 1));
    const burst = Buffer.concat(Array.from({ length: 2000 }, () => ping)); // 262 KB of pings
    const { measured, backlog } = await flood(burst, 40, (ws) => ws.bufferedAmount); // ~10 MB in all
    assert.ok(measured < 2 * 1024 * 1024, `server output buffer ${measured} bytes stays bounded`);
    assert.ok(backlog > 1024 * 1024, 'TCP pushed back on the flooding peer');
  });

  test('a flood of empty messages fills the queue too: the server stops reading', async () => {
    const empty = clientFrame(0x82, Buffer.alloc(0));
    const burst = Buffer.concat(Array.from({ length: 100_000 }, () => empty)); // 600 KB, 100 000 messages
    const { measured, backlog } = await flood(burst, 30, (ws) => ws.queuedBytes);
    assert.ok(measured < 2 * 1024 * 1024, `server queue ${measured} bytes (64 per empty message) stays bounded`);
    assert.ok(backlog > 1024 * 1024, 'TCP pushed back on the flooding peer');
  });

  test('a long queue read while it still fills keeps every message in order', async () => {
    const received: number[] = [];
    const { server, url } = await startServer({
      '/': async (ws) => {
        await waitFor(() => ws.queuedBytes >= 1000 * 64, { what: 'a long queue' }); // read while the rest still arrives
        for (let i = 0; i < 5000; i++) {
          const m = await ws.receive(5000);
          if (m === null) break;
          received.push(Number(m));
        }
        await ws.send('done');
      },
    });
    const client = await connect(url, { perMessageDeflate: false });
    for (let i = 0; i < 5000; i++) void client.send(String(i));
    assert.equal(await client.receive(10_000), 'done');
    await client.close();
    await server.close();
    assert.deepEqual(received, Array.from({ length: 5000 }, (_, i) => i));
  });

  test('a short queued message does not keep the socket chunk it arrived in alive', async () => {
    let read!: (m: unknown) => void;
    const message = new Promise((r) => (read = r));
    const { server, port } = await startServer({
      '/': async (ws) => {
        await waitFor(() => ws.queuedBytes > 0, { what: 'a queued message' });
        read(await ws.receive(5000));
      },
    });
    const { peer } = await RawPeer.handshake(port);
    const pongs = Array.from({ length: 400 }, () => clientFrame(0x8a, Buffer.alloc(125)));
    peer.write(Buffer.concat([clientFrame(0x82, Buffer.from('0123456789')), ...pongs])); // one 52 KB write
    const received = (await message) as Buffer;
    peer.close();
    await server.close();
    assert.deepEqual(received, Buffer.from('0123456789'));
    assert.ok(received.buffer.byteLength <= 8192, `holds ${received.buffer.byteLength} bytes for 10`);
  });

  test('a handler that never reads: the server pauses the socket, memory stays bounded, nothing is lost', async () => {
    let serverSide: WebSocket | null = null;
    let startReading!: () => void;
    let finished!: () => void;
    const handlerDone = new Promise<void>((r) => (finished = r));
    const reading = new Promise<void>((r) => (startReading = r));
    const received: number[] = [];
    const { server, url } = await startServer({
      '/': async (ws) => {
        serverSide = ws;
        await reading;
        for (;;) {
          const m = await ws.receive(2000);
          if (m === null) return finished();
          received.push((m as Buffer).readUInt32BE(0));
        }
      },
    }, { maxQueuedBytes: 256 * 1024 });
    const client = await connect(url, { perMessageDeflate: false, sendHighWaterMark: 64 * 1024 });
    const chunk = Buffer.alloc(16 * 1024);
    let sent = 0;
    let blocked = false;
    // Keep sending until send() stops resolving promptly: TCP pushed back.
    while (sent < 4000) {
      chunk.writeUInt32BE(sent, 0);
      const done = client.send(Buffer.from(chunk));
      sent++;
      if (!(await settlesWithin(done))) {
        blocked = true;
        break;
      }
    }
    assert.ok(blocked, `send() should block under backpressure (sent ${sent} × 16 KiB)`);
    assert.ok(serverSide!.queuedBytes <= 256 * 1024 + 16 * 1024 * 8, `server queue ${serverSide!.queuedBytes} bytes`);
    startReading();
    await client.close();
    await handlerDone;
    assert.equal(received.length, sent, 'every message arrives');
    assert.deepEqual(received, Array.from({ length: sent }, (_, i) => i), 'in order');
    await server.close();
  });
});
