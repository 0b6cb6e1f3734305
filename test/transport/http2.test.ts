// WebSockets over HTTP/2 (RFC 8441): our server and client, each also
// against node:http2 as the other side, over real TLS on 127.0.0.1.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { connect as tlsConnect } from 'node:tls';
import { randomBytes } from 'node:crypto';
import { connect, handshaken, ConnectError } from '../../src/transport/client.js';
import { WebSocketServer } from '../../src/transport/server.js';
import type { WebSocket } from '../../src/transport/websocket.js';
import type { UpgradeRequest } from '../../src/transport/routes.js';
import { bounded, clientFrame, closeBody, echo, parseFrames, testCertificate } from '../helpers.js';

const tls = () => testCertificate();
const trust = () => ({ ca: testCertificate().cert });

/** A node:http2 client session to `port`, once its SETTINGS have arrived. */
async function nodeSession(port: number): Promise<http2.ClientHttp2Session> {
  const session = http2.connect(`https://localhost:${port}`, { ca: testCertificate().cert });
  session.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    session.once('remoteSettings', () => resolve());
    session.once('error', reject);
  });
  return session;
}

/** Sends an extended CONNECT on `session`; resolves with the stream and the response headers. */
function nodeConnect(session: http2.ClientHttp2Session, path: string, extra: Record<string, string> = {}): Promise<{ stream: http2.ClientHttp2Stream; headers: http2.IncomingHttpHeaders }> {
  const stream = session.request({
    ':method': 'CONNECT', ':protocol': 'websocket', ':scheme': 'https', ':path': path, ':authority': 'localhost',
    'sec-websocket-version': '13', ...extra,
  });
  stream.on('error', () => {});
  return new Promise((resolve, reject) => {
    stream.once('response', (headers) => resolve({ stream, headers }));
    stream.once('close', () => reject(new Error(`stream closed with ${stream.rstCode}`)));
  });
}

/** Reads bytes from a stream until `count` frames have arrived. */
function readFrames(stream: http2.ClientHttp2Stream, count: number): Promise<ReturnType<typeof parseFrames>['frames']> {
  let buffer = Buffer.alloc(0);
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const { frames } = parseFrames(buffer);
      if (frames.length >= count) {
        stream.removeListener('data', onData);
        resolve(frames);
      }
    };
    stream.on('data', onData);
    stream.once('close', () => reject(new Error('stream closed before the frames came')));
  });
}

describe('server: WebSockets over HTTP/2 with serve({ http2: true })', () => {
  let server: WebSocketServer;
  let port: number;
  const requests: UpgradeRequest[] = [];
  before(async () => {
    server = new WebSocketServer({ tls: tls(), http2: true, onError: () => {} });
    server.route('/echo', async (ws, request) => {
      requests.push(request);
      await echo(ws);
    });
    server.route('/chat', echo, { protocols: ['chat.v2', 'chat.v1'], origins: ['https://good.example'] });
    server.route('/auth', echo, { authorize: (request) => (request.headers.authorization === 'Bearer ok' ? { headers: { 'x-who': 'ok' } } : { status: 401, body: 'who are you?' }) });
    port = (await server.listen()).port;
  });
  after(() => server.close());

  test('node:http2 sees SETTINGS_ENABLE_CONNECT_PROTOCOL, opens a WebSocket on a stream and gets 200', async () => {
    const session = await nodeSession(port);
    assert.equal(session.remoteSettings.enableConnectProtocol, true);
    const { stream, headers } = await nodeConnect(session, '/echo?room=1', { 'sec-websocket-extensions': 'permessage-deflate' });
    assert.equal(headers[':status'], 200);
    assert.equal(headers['sec-websocket-accept'], undefined, 'no accept key over HTTP/2 (RFC 8441 §5)');
    assert.match(String(headers['sec-websocket-extensions']), /^permessage-deflate/);
    stream.write(clientFrame(0x82, Buffer.from([1, 2, 3])));
    const [echoed] = await readFrames(stream, 1);
    assert.deepEqual([echoed.opcode, [...echoed.payload]], [0x2, [1, 2, 3]]);
    const request = requests.at(-1)!;
    assert.equal(request.httpVersion, '2.0', 'the handler got the HTTP/2 stream, not an upgrade');
    assert.equal(request.method, 'CONNECT');
    // A client Close: the server answers it and ends its half of the stream (§7.1.1's TCP close, RFC 8441 §5).
    stream.write(clientFrame(0x88, closeBody(1000, 'bye')));
    const frames = await readFrames(stream, 1);
    assert.equal(frames[0].opcode, 0x8);
    await new Promise((resolve) => stream.once('end', resolve));
    stream.end();
    await new Promise((resolve) => stream.once('close', resolve));
    assert.equal(stream.rstCode, http2.constants.NGHTTP2_NO_ERROR);
    session.close();
  });

  test('subprotocols and origins as over HTTP/1.1; refusals are statuses on the stream, the session lives on', async () => {
    const session = await nodeSession(port);
    const ok = await nodeConnect(session, '/chat', { 'sec-websocket-protocol': 'chat.v1, chat.v2', origin: 'https://good.example' });
    assert.equal(ok.headers[':status'], 200);
    assert.equal(ok.headers['sec-websocket-protocol'], 'chat.v2');
    const bad = await nodeConnect(session, '/chat', { origin: 'https://evil.example' });
    assert.equal(bad.headers[':status'], 403);
    const missing = await nodeConnect(session, '/nowhere');
    assert.equal(missing.headers[':status'], 404);
    const version = await nodeConnect(session, '/echo', { 'sec-websocket-version': '8' });
    assert.equal(version.headers[':status'], 400);
    assert.equal(version.headers['sec-websocket-version'], '13');
    const denied = await nodeConnect(session, '/auth');
    assert.equal(denied.headers[':status'], 401);
    const allowed = await nodeConnect(session, '/auth', { authorization: 'Bearer ok' });
    assert.deepEqual([allowed.headers[':status'], allowed.headers['x-who']], [200, 'ok']);
    // After all these, the first WebSocket still works on the same session.
    ok.stream.write(clientFrame(0x81, 'still here'));
    const [echoed] = await readFrames(ok.stream, 1);
    assert.equal(echoed.payload.toString(), 'still here');
    assert.equal(session.destroyed, false);
    session.destroy();
  });

  test('a protocol error fails that WebSocket and resets its stream, never the session', async () => {
    const session = await nodeSession(port);
    const first = await nodeConnect(session, '/echo');
    const second = await nodeConnect(session, '/echo');
    // An unmasked frame from a client is a protocol error (§5.1): 1002, then the stream ends.
    first.stream.write(Buffer.from([0x81, 0x02, 0x68, 0x69]));
    const [closing] = await readFrames(first.stream, 1);
    assert.equal(closing.payload.readUInt16BE(0), 1002);
    first.stream.end();
    await new Promise((resolve) => first.stream.once('close', resolve));
    assert.equal(first.stream.rstCode, http2.constants.NGHTTP2_NO_ERROR);
    second.stream.write(clientFrame(0x81, 'other stream'));
    const [echoed] = await readFrames(second.stream, 1);
    assert.equal(echoed.payload.toString(), 'other stream');
    assert.equal(session.destroyed, false);
    session.destroy();
  });

  test('HTTP/1.1 upgrades work on the same port, and plain HTTP/2 requests get 404', async () => {
    const ws = await connect(`wss://localhost:${port}/echo`, trust());
    await ws.send('over 1.1');
    assert.equal(await ws.receive(2000), 'over 1.1');
    assert.equal(requests.at(-1)!.httpVersion, '1.1');
    await ws.close();
    const session = await nodeSession(port);
    const status = await new Promise((resolve) => session.request({ ':path': '/page' }).on('response', (h) => resolve(h[':status'])).on('error', () => {}));
    assert.equal(status, 404);
    const wsPath = await new Promise((resolve) => session.request({ ':path': '/echo' }).on('response', (h) => resolve(h[':status'])).on('error', () => {}));
    assert.equal(wsPath, 400, 'a GET to a WebSocket path over HTTP/2 is told to use extended CONNECT');
    session.destroy();
  });

  test('without http2 the server never advertises extended CONNECT', async () => {
    const plain = new WebSocketServer({ tls: tls(), onError: () => {} });
    plain.route('/', echo);
    const { port: plainPort } = await plain.listen();
    await assert.rejects(connect(`wss://localhost:${plainPort}/`, { ...trust(), http2: true }), /does not speak HTTP\/2/);
    const ws = await connect(`wss://localhost:${plainPort}/`, { ...trust(), http2: 'auto' });
    assert.equal(ws.handshake!.response.startsWith('HTTP/1.1 101'), true, "'auto' fell back to HTTP/1.1");
    await ws.close();
    await plain.close();
    assert.throws(() => new WebSocketServer({ http2: true }), /http2 needs tls/);
  });
});

describe('client: connect(url, { http2 })', () => {
  let server: WebSocketServer;
  let port: number;
  const sessions = new Set<string>();
  before(async () => {
    server = new WebSocketServer({ tls: tls(), http2: true, onError: () => {} });
    server.route('/echo', async (ws, request) => {
      if (request.httpVersion === '2.0') sessions.add(`${request.socket?.remotePort}`);
      await echo(ws);
    });
    server.route('/proto', echo, { protocols: ['b', 'a'] });
    port = (await server.listen()).port;
  });
  after(() => server.close());

  test('several WebSockets to one origin share one HTTP/2 session', async () => {
    sessions.clear();
    const sockets = await Promise.all([1, 2, 3, 4, 5].map(() => connect(`wss://localhost:${port}/echo`, { ...trust(), http2: true })));
    await Promise.all(sockets.map(async (ws, i) => {
      await ws.send(`message ${i}`);
      assert.equal(await ws.receive(2000), `message ${i}`);
    }));
    assert.equal(sessions.size, 1, `one TCP connection carried them all: ${[...sessions]}`);
    assert.match(sockets[0].handshake!.request, /^:method: CONNECT\r\n:protocol: websocket/);
    await Promise.all(sockets.map((ws) => ws.close()));
    assert.deepEqual(sockets.map((ws) => ws.closeInfo?.code), [1000, 1000, 1000, 1000, 1000]);
  });

  test("'auto' uses HTTP/2 when the server offers it; subprotocols and permessage-deflate negotiate", async () => {
    const ws = await connect(`wss://localhost:${port}/proto`, { ...trust(), http2: 'auto', protocols: ['a', 'b'] });
    assert.equal(ws.protocol, 'b');
    assert.match(ws.extensions, /^permessage-deflate/);
    const big = 'x'.repeat(3 * 1024 * 1024);
    await ws.send(big);
    assert.equal(await ws.receive(10_000), big, 'a message larger than any HTTP/2 window');
    await ws.close();
  });

  test('the socket-level handshaken() (the sync API\'s) refuses http2 instead of silently using HTTP/1.1; redirects over HTTP/2 are refused: ConnectError ERR_UNSUPPORTED, nothing sent', async () => {
    const unsupported = (what: RegExp) => (error: Error & { code?: string }) => {
      assert.ok(error instanceof ConnectError, `${error.name}: ${error.message}`);
      assert.equal(error.code, 'ERR_UNSUPPORTED');
      assert.match(error.message, what);
      return true;
    };
    const before = server.connectionCount;
    await assert.rejects(handshaken(`wss://localhost:${port}/echo`, { ...trust(), http2: true }), unsupported(/^websocket connect failed: http2 is not supported by the synchronous API/));
    for (const http2 of [true, 'auto'] as const) {
      await assert.rejects(connect(`wss://localhost:${port}/echo`, { ...trust(), http2, maxRedirects: 2 }), unsupported(/^websocket connect failed: redirects are not followed over HTTP\/2 yet: maxRedirects needs http2: false/));
    }
    assert.equal(server.connectionCount, before);
  });

  test('refusals carry status, headers and body; a server that does not advertise the setting is refused', async () => {
    await assert.rejects(connect(`wss://localhost:${port}/missing`, { ...trust(), http2: true }), (error: Error & { code?: string; status?: number; body?: Buffer }) => {
      assert.equal(error.code, 'ERR_UNEXPECTED_STATUS');
      assert.equal(error.status, 404);
      assert.match(error.body!.toString(), /no WebSocket endpoint/);
      return true;
    });
    const bare = http2.createSecureServer({ ...tls() }, (_request, response) => response.end());
    await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
    const barePort = (bare.address() as { port: number }).port;
    await assert.rejects(connect(`wss://localhost:${barePort}/`, { ...trust(), http2: true }), /did not advertise SETTINGS_ENABLE_CONNECT_PROTOCOL/);
    await new Promise((resolve) => bare.close(resolve));
  });

  test('against node:http2 as the server: frames flow both ways, a stream reset is a 1006 for that WebSocket only', async () => {
    const streams: http2.ServerHttp2Stream[] = [];
    const peer = http2.createSecureServer({ ...tls(), settings: { enableConnectProtocol: true } });
    peer.on('stream', (stream, headers) => {
      assert.equal(headers[':protocol'], 'websocket');
      stream.respond({ ':status': 200 });
      streams.push(stream);
      stream.on('error', () => {});
      // A server frame: unmasked text "hello".
      stream.write(Buffer.from([0x81, 0x05, ...Buffer.from('hello')]));
    });
    await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve));
    const peerPort = (peer.address() as { port: number }).port;
    const a = await connect(`wss://localhost:${peerPort}/`, { ...trust(), http2: true, perMessageDeflate: false });
    const b = await connect(`wss://localhost:${peerPort}/`, { ...trust(), http2: true, perMessageDeflate: false });
    assert.equal(await a.receive(2000), 'hello');
    assert.equal(await b.receive(2000), 'hello');
    streams[0].close(http2.constants.NGHTTP2_CANCEL);
    await a.whenClosed();
    assert.equal(a.closeInfo!.code, 1006);
    await b.send('after the reset');
    const got = await new Promise<Buffer>((resolve) => streams[1].once('data', resolve));
    assert.equal(parseFrames(got).frames[0].payload.toString(), 'after the reset');
    // Our terminate() resets only our stream, with CANCEL (RFC 8441 §5).
    const reset = new Promise<number>((resolve) => streams[1].once('close', () => resolve(streams[1].rstCode!)));
    b.terminate();
    assert.equal(await reset, http2.constants.NGHTTP2_CANCEL);
    await new Promise((resolve) => peer.close(resolve));
  });
});

describe('server lifecycle over HTTP/2: close, authorize deadlines, keepalive', () => {
  test('close() sends 1001 to WebSockets on streams, answers 503 to a CONNECT waiting in authorize, and ends', async () => {
    let release!: () => void;
    const server = new WebSocketServer({ tls: tls(), http2: true, onError: () => {} });
    server.route('/echo', echo);
    server.route('/slow', echo, { authorize: () => new Promise<boolean>((resolve) => (release = () => resolve(true))) });
    const { port } = await server.listen();
    const ws = await connect(`wss://localhost:${port}/echo`, { ...trust(), http2: true });
    const session = await nodeSession(port);
    const slow = nodeConnect(session, '/slow');
    while (release === undefined) await new Promise((resolve) => setImmediate(resolve));
    const closing = server.close();
    const { headers } = await slow;
    assert.equal(headers[':status'], 503);
    await ws.whenClosed();
    assert.equal(ws.closeInfo!.code, 1001);
    await closing;
    release();
    session.destroy();
  });

  test('authorize that never answers: 503 after handshakeTimeout, on that stream only', async () => {
    const reported: string[] = [];
    const server = new WebSocketServer({ tls: tls(), http2: true, handshakeTimeout: 200, onError: (error) => reported.push(String(error)) });
    server.route('/never', echo, { authorize: () => new Promise<boolean>(() => {}) });
    server.route('/echo', echo);
    const { port } = await server.listen();
    const session = await nodeSession(port);
    const waiting = nodeConnect(session, '/never');
    const open = await nodeConnect(session, '/echo');
    assert.equal(open.headers[':status'], 200);
    assert.equal((await waiting).headers[':status'], 503);
    assert.match(reported.join(), /authorize did not answer within handshakeTimeout/);
    open.stream.write(clientFrame(0x81, 'fine'));
    assert.equal((await readFrames(open.stream, 1))[0].payload.toString(), 'fine');
    session.destroy();
    await server.close();
  });

  test('a session with no stream is closed after http2.idleTimeout; one carrying an idle WebSocket is not', async () => {
    const server = new WebSocketServer({ tls: tls(), http2: { idleTimeout: 300 }, pingInterval: 0, onError: () => {} });
    server.route('/echo', echo);
    const { port } = await server.listen();
    const busy = await nodeSession(port);
    const { stream } = await nodeConnect(busy, '/echo');
    const idle = await nodeSession(port);
    await bounded(new Promise((resolve) => idle.once('close', resolve)), { timeoutMs: 3000, what: 'the idle session to be closed (idleTimeout 300 ms)' });
    assert.equal(busy.closed, false, 'the session with a WebSocket is kept');
    stream.write(clientFrame(0x81, 'after the idle one went'));
    assert.equal((await readFrames(stream, 1))[0].payload.toString(), 'after the idle one went');
    busy.destroy();
    await server.close();
    assert.throws(() => new WebSocketServer({ tls: tls(), http2: { idleTimeout: 0 } }), /idleTimeout/);
  });

  test('garbage on an HTTP/2 connection costs that connection only: closed, never a crash or a held socket', async () => {
    const server = new WebSocketServer({ tls: tls(), http2: { idleTimeout: 300 }, onError: () => {} });
    server.route('/echo', echo);
    const { port } = await server.listen();
    const preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
    const payloads = [
      randomBytes(100),
      Buffer.concat([preface, randomBytes(200)]),
      // SETTINGS, then a HEADERS frame whose header block is not HPACK.
      Buffer.concat([preface, Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 5, 1, 5, 0, 0, 0, 1, 0x82, 0x87, 0x84, 0xff, 0xff])]),
    ];
    for (const payload of payloads) {
      await new Promise<void>((resolve) => {
        const socket = tlsConnect({ port, host: '127.0.0.1', ca: tls().cert, servername: 'localhost', ALPNProtocols: ['h2'] }, () => socket.write(payload));
        socket.on('data', () => {});
        socket.on('error', () => {});
        socket.on('close', () => resolve());
      });
    }
    const ws = await connect(`wss://localhost:${port}/echo`, { ...trust(), http2: true });
    await ws.send('still serving');
    assert.equal(await ws.receive(2000), 'still serving');
    await ws.close();
    await server.close();
  });

  test('keepalive: a peer that stops answering Pings is closed with 1011; the session lives', async () => {
    const server = new WebSocketServer({ tls: tls(), http2: true, pingInterval: 50, pingTimeout: 100, onError: () => {} });
    let closed!: (info: unknown) => void;
    const ended = new Promise((resolve) => (closed = resolve));
    server.route('/echo', async (ws) => {
      await echo(ws);
      closed(ws.closeInfo);
    });
    const { port } = await server.listen();
    const session = await nodeSession(port);
    const { stream } = await nodeConnect(session, '/echo');
    stream.pause(); // reads nothing, so answers no Ping
    const info = (await ended) as { code: number; reason: string };
    assert.deepEqual([info.code, info.reason], [1011, 'keepalive ping timeout']);
    assert.equal(session.destroyed, false);
    session.destroy();
    await server.close();
  });
});

describe('flow control: HTTP/2 windows carry the backpressure', () => {
  test('a WebSocket that stops reading stops its sender, while another stream of the session goes on', async () => {
    const TOTAL = 64 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 7);
    let sent = 0;
    let waiting = false;
    const server = new WebSocketServer({ tls: tls(), http2: true, onError: () => {} });
    server.route('/flood', async (ws) => {
      while (sent < TOTAL) {
        waiting = true;
        await ws.send(chunk);
        waiting = false;
        sent += chunk.length;
      }
      await ws.receive();
    });
    server.route('/echo', echo);
    const { port } = await server.listen();
    const options = { ...trust(), http2: true as const, perMessageDeflate: false, maxQueuedBytes: 512 * 1024 };
    const reader = await connect(`wss://localhost:${port}/flood`, options);
    // Waits (on a condition, bounded by the test's timeout) until our queue is full and the server's send waits.
    while (!(reader.queuedBytes >= 512 * 1024 && waiting)) await new Promise((resolve) => setImmediate(resolve));
    const sentWhileBlocked = sent;
    assert.ok(sentWhileBlocked < 8 * 1024 * 1024, `the server sent only what the windows and our queue hold, not ${sentWhileBlocked}`);
    const other = await connect(`wss://localhost:${port}/echo`, options);
    await other.send('the session is not blocked');
    assert.equal(await other.receive(5000), 'the session is not blocked');
    let received = 0;
    while (received < TOTAL) {
      const message = await reader.receive(10_000);
      assert.ok(Buffer.isBuffer(message));
      received += message.length;
    }
    assert.equal(received, TOTAL, 'nothing lost');
    await Promise.all([reader.close(), other.close()]);
    await server.close();
  });
});

describe('attach to an existing http2.createSecureServer()', () => {
  test("its own 'request' handler keeps its pages; CONNECT streams are ours, not 405", async () => {
    const existing = http2.createSecureServer({ ...tls(), allowHTTP1: true }, (request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end(`page ${request.url}`);
    });
    const server = new WebSocketServer({ onError: () => {} });
    server.route('/ws', echo);
    server.attach(existing);
    await new Promise<void>((resolve) => existing.listen(0, '127.0.0.1', resolve));
    const port = (existing.address() as { port: number }).port;
    const ws = await connect(`wss://localhost:${port}/ws`, { ...trust(), http2: true });
    await ws.send('attached');
    assert.equal(await ws.receive(2000), 'attached');
    const session = await nodeSession(port);
    const body = await new Promise<string>((resolve) => {
      let text = '';
      session.request({ ':path': '/index' }).on('data', (c) => (text += c)).on('end', () => resolve(text));
    });
    assert.equal(body, 'page /index');
    const plainConnect = await nodeConnect(session, '/ws').catch(() => null);
    assert.equal(plainConnect?.headers[':status'], 200);
    const proxyConnect = await new Promise((resolve) => session.request({ ':method': 'CONNECT', ':authority': 'example.com:443' }).on('response', (h) => resolve(h[':status'])).on('error', () => {}));
    assert.equal(proxyConnect, 405, 'a plain CONNECT is not ours');
    session.destroy();
    // The HTTP/1.1 upgrade path of the same server.
    const ws1 = await connect(`wss://localhost:${port}/ws`, trust());
    assert.equal(ws1.handshake!.response.startsWith('HTTP/1.1 101'), true);
    await ws1.close();
    await ws.close();
    await server.close();
    existing.close();
  });
});

