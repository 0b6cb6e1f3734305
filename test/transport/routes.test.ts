// Per-route handshake policy on real sockets: prefix routes, subprotocols,
// Origin checks, authorize, and what the handler learns of the request.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type ConnectOptions } from '../../src/transport/client.js';
import { WebSocketServer, type ServerOptions } from '../../src/transport/server.js';
import type { RouteOptions, ConnectionHandler } from '../../src/transport/routes.js';
import type { WebSocket } from '../../src/transport/websocket.js';
import { RawPeer, testCertificate } from '../helpers.js';

/** A server with one route per entry; collects what onError reports. */
async function serve(routes: Array<[string, ConnectionHandler, RouteOptions?]>, options: ServerOptions = {}) {
  const errors: Array<{ error: unknown; where: string }> = [];
  const server = new WebSocketServer({ onError: (error, where) => errors.push({ error, where }), ...options });
  for (const [path, handler, routeOptions] of routes) server.route(path, handler, routeOptions);
  const { port } = await server.listen(0, '127.0.0.1');
  return { server, port, url: `ws://127.0.0.1:${port}`, errors };
}

/** Sends a handshake by hand and reads the answer's status line and head. */
async function attempt(port: number, path: string, extra = ''): Promise<{ status: number; head: string; peer: RawPeer }> {
  const peer = await RawPeer.connect(port);
  peer.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`);
  const head = await peer.readHead();
  return { status: Number(head.slice(9, 12)), head, peer };
}

/** Sends one text message naming something about the connection, then returns (closing with 1000). */
const tell = (what: (ws: WebSocket) => unknown): ConnectionHandler => async (ws) => {
  await ws.send(JSON.stringify(what(ws)));
};

async function firstMessage(url: string, options: ConnectOptions = {}): Promise<unknown> {
  const ws = await connect(url, options);
  const message = await ws.receive(5000);
  await ws.close();
  return JSON.parse(message as string);
}

describe('routes', () => {
  test('a route ending in /* takes the paths under it; exact routes win, then the longest prefix', async () => {
    const { server, port, url } = await serve([
      ['/a/*', tell(() => 'a')],
      ['/a/b/*', tell(() => 'ab')],
      ['/a/x', tell(() => 'exact')],
    ]);
    assert.equal(await firstMessage(`${url}/a/1`), 'a');
    assert.equal(await firstMessage(`${url}/a/`), 'a');
    assert.equal(await firstMessage(`${url}/a/b/2?q=1`), 'ab');
    assert.equal(await firstMessage(`${url}/a/x`), 'exact');
    assert.equal((await attempt(port, '/a')).status, 404);
    assert.equal((await attempt(port, '/ab')).status, 404);
    await server.close();
  });

  test('ws.request holds method, path, query, headers and remote_addr; ws.handshake both heads', async () => {
    const { server, url } = await serve([['/r/*', tell((ws) => ({ request: ws.request, handshake: ws.handshake }))]]);
    const ws = await connect(`${url}/r/room?token=abc&n=1&n=2`, { headers: { 'X-Token': 't1' } });
    const { request, handshake } = JSON.parse((await ws.receive(5000)) as string);
    assert.equal(request.method, 'GET');
    assert.equal(request.path, '/r/room');
    assert.deepEqual({ ...request.query }, { token: 'abc', n: '2' });
    assert.equal(request.headers['x-token'], 't1');
    assert.equal(request.headers.upgrade, 'websocket');
    assert.match(request.remote_addr, /^127\.0\.0\.1:\d+$/);
    assert.match(handshake.request, /^GET \/r\/room\?token=abc&n=1&n=2 HTTP\/1\.1\r\n/);
    assert.match(handshake.response, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    await ws.close();
    await server.close();
  });

  test('server options are checked when the server is made', () => {
    assert.throws(() => new WebSocketServer({ handshakeTimeout: 0 }), RangeError);
    assert.throws(() => new WebSocketServer({ handshakeTimeout: Number.NaN }), /handshakeTimeout must be a number of ms > 0/);
    assert.throws(() => new WebSocketServer({ maxConnections: -1 }), /maxConnections must be an integer ≥ 0/);
    assert.throws(() => new WebSocketServer({ maxHeadSize: 1.5 }), RangeError);
    assert.doesNotThrow(() => new WebSocketServer({ handshakeTimeout: Infinity, maxConnections: Infinity }));
  });

  test('route options are checked when the route is added', () => {
    const server = new WebSocketServer();
    const handler = () => {};
    assert.throws(() => server.route('/p', handler, { protocols: ['ok', 'not ok'] }), /invalid subprotocol "not ok"/);
    assert.throws(() => server.route('/p', handler, { origins: ['x', 5 as unknown as string] }), /origins must be a list/);
    assert.throws(() => server.route('/p', handler, { authorize: 'yes' as unknown as () => boolean }), /authorize must be a function/);
    assert.throws(() => server.route('p', handler), /must start with/);
  });
});

describe('subprotocols (RFC 6455 §4.2.2)', () => {
  test("the first of the route's protocols the client offered; none in common → no header, ws.protocol is ''", async () => {
    const { server, port } = await serve([['/p', tell((ws) => ws.protocol), { protocols: ['superchat', 'chat'] }]]);
    const both = await attempt(port, '/p', 'Sec-WebSocket-Protocol: chat, superchat\r\n');
    assert.equal(both.status, 101);
    assert.match(both.head, /\r\nSec-WebSocket-Protocol: superchat(\r\n|$)/);
    assert.equal(JSON.parse((await both.peer.readFrames(1))[0].payload.toString()), 'superchat');
    both.peer.close();
    const other = await attempt(port, '/p', 'Sec-WebSocket-Protocol: mqtt\r\n');
    assert.equal(other.status, 101);
    assert.doesNotMatch(other.head, /Sec-WebSocket-Protocol/i);
    assert.equal(JSON.parse((await other.peer.readFrames(1))[0].payload.toString()), '');
    other.peer.close();
    await server.close();
  });
});

describe('origins', () => {
  test('an allowed Origin is accepted; another, or none, gets 403', async () => {
    const { server, port } = await serve([['/o', tell(() => 'in'), { origins: ['https://app.example', /^https:\/\/\w+\.example\.org$/] }]]);
    for (const origin of ['https://app.example', 'https://chat.example.org']) {
      const { status, peer } = await attempt(port, '/o', `Origin: ${origin}\r\n`);
      assert.equal(status, 101, origin);
      peer.close();
    }
    const evil = await attempt(port, '/o', 'Origin: https://evil.example\r\n');
    assert.equal(evil.status, 403);
    assert.match((await evil.peer.readAll()).toString(), /origin https:\/\/evil\.example is not allowed/);
    assert.equal((await attempt(port, '/o')).status, 403);
    await server.close();
  });
});

describe('authorize', () => {
  test('sync true, async { headers }, false → 403, { status, headers, body } → that answer', async () => {
    const seen: string[] = [];
    const { server, port, url } = await serve([
      ['/yes', tell(() => 'yes'), { authorize: (request) => { seen.push(request.query.token); return true; } }],
      ['/headers', tell(() => 'headers'), { authorize: async () => ({ headers: { 'X-Session': 's1' } }) }],
      ['/no', tell(() => 'no'), { authorize: () => false }],
      ['/custom', tell(() => 'custom'), {
        authorize: async (request) => request.headers.authorization === 'Bearer ok'
          || { status: 401, headers: { 'WWW-Authenticate': 'Bearer' }, body: 'token needed' },
      }],
    ]);
    assert.equal(await firstMessage(`${url}/yes?token=abc`), 'yes');
    assert.deepEqual(seen, ['abc']);
    const withHeaders = await attempt(port, '/headers');
    assert.equal(withHeaders.status, 101);
    assert.match(withHeaders.head, /\r\nX-Session: s1(\r\n|$)/);
    withHeaders.peer.close();
    assert.equal((await attempt(port, '/no')).status, 403);
    const refused = await attempt(port, '/custom');
    assert.equal(refused.status, 401);
    assert.match(refused.head, /\r\nWWW-Authenticate: Bearer\r\n/);
    assert.equal((await refused.peer.readAll()).toString(), 'token needed');
    const allowed = await attempt(port, '/custom', 'Authorization: Bearer ok\r\n');
    assert.equal(allowed.status, 101);
    allowed.peer.close();
    await server.close();
  });

  test('a throw or a malformed answer → 500, reported through onError; the server keeps serving', async () => {
    const { server, port, url, errors } = await serve([
      ['/throws', tell(() => 'x'), { authorize: () => { throw new Error('authorize bug'); } }],
      ['/rejects', tell(() => 'x'), { authorize: async () => { throw new Error('async bug'); } }],
      ['/odd', tell(() => 'x'), { authorize: () => 42 as unknown as boolean }],
      ['/bad-header', tell(() => 'x'), { authorize: () => ({ headers: { Upgrade: 'h2c' } }) }],
      ['/fine', tell(() => 'fine')],
    ]);
    for (const path of ['/throws', '/rejects', '/odd', '/bad-header']) {
      const { status, peer } = await attempt(port, path);
      assert.equal(status, 500, path);
      assert.doesNotMatch((await peer.readAll()).toString(), /bug/, 'the reason stays on the server');
    }
    assert.deepEqual(errors.map((e) => (e.error as Error).message), [
      'authorize bug', 'async bug', 'authorize must return true, false, { headers } or { status, headers, body }, not number',
      'header Upgrade is set by the WebSocket handshake and cannot be overridden',
    ]);
    assert.equal(errors[0].where, 'authorize for /throws');
    assert.equal(await firstMessage(`${url}/fine`), 'fine');
    await server.close();
  });

  test('an authorize that never answers is cut off at handshakeTimeout with 503; a slow one within it is fine', async () => {
    const { server, port, errors } = await serve([
      ['/never', tell(() => 'x'), { authorize: () => new Promise<boolean>(() => {}) }],
      ['/slow', tell(() => 'slow'), { authorize: () => new Promise<boolean>((resolve) => setImmediate(() => resolve(true))) }],
    ], { handshakeTimeout: 300 });
    const started = Date.now();
    assert.equal((await attempt(port, '/never')).status, 503);
    assert.ok(Date.now() - started < 3000);
    assert.match((errors[0].error as Error).message, /did not answer within handshakeTimeout \(300 ms\)/);
    const slow = await attempt(port, '/slow');
    assert.equal(slow.status, 101);
    slow.peer.close();
    await server.close();
  });

  test('a client that leaves while authorize runs: its handler sees the connection closed, nothing crashes', async () => {
    let release!: (value: boolean) => void;
    let called!: () => void;
    const calledPromise = new Promise<void>((resolve) => (called = resolve));
    let saw!: (message: unknown) => void;
    const handlerSaw = new Promise((resolve) => (saw = resolve));
    const { server, port, url } = await serve([
      ['/wait', async (ws) => saw(await ws.receive(5000)), { authorize: () => new Promise<boolean>((resolve) => { release = resolve; called(); }) }],
      ['/fine', tell(() => 'fine')],
    ]);
    const peer = await RawPeer.connect(port);
    peer.write('GET /wait HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
    await calledPromise;
    const gone = new Promise((resolve) => peer.socket.once('close', resolve));
    peer.close();
    await gone;
    release(true);
    // The socket is not read before the 101, so the FIN is seen once the connection opens: receive() gets null at once.
    assert.equal(await handlerSaw, null);
    assert.equal(await firstMessage(`${url}/fine`), 'fine');
    await server.close();
  });

  test('close() answers handshakes still in authorize with 503', async () => {
    let called!: () => void;
    const calledPromise = new Promise<void>((resolve) => (called = resolve));
    const { server, port } = await serve([['/wait', tell(() => 'x'), { authorize: () => new Promise<boolean>(() => called()) }]]);
    const answer = attempt(port, '/wait');
    await calledPromise;
    await server.close();
    assert.equal((await answer).status, 503);
  });
});

describe('client certificates (wss:// with tls.requestCert)', () => {
  test('authorize and ws.request see the certificate the client presented; a client without one is refused', async () => {
    const { key, cert } = testCertificate(); // self-signed: trusted as its own CA
    const { server, url } = await serve([['/mtls', tell((ws) => ws.request!.certificate), {
      authorize: (request) => request.certificate?.subject.CN === 'localhost' || { status: 401, body: 'client certificate needed' },
    }]], { tls: { key, cert, ca: cert, requestCert: true, rejectUnauthorized: false } });
    const wss = url.replace('ws://', 'wss://');
    const seen = await firstMessage(`${wss}/mtls`, { ca: cert, key, cert }) as Record<string, unknown>;
    assert.deepEqual(seen.subject, { CN: 'localhost' });
    assert.equal(seen.authorized, true);
    assert.match(seen.fingerprint256 as string, /^[0-9A-F]{2}(:[0-9A-F]{2}){31}$/);
    await assert.rejects(connect(`${wss}/mtls`, { ca: cert }), /401/);
    await server.close();
  });
});
