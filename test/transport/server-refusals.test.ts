// What a refused or stalled handshake may hold on to, and user callbacks
// that fail: none of it may keep sockets, slots or the process.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { connect } from '../../src/transport/client.js';
import { WebSocketServer, type ServerOptions } from '../../src/transport/server.js';
import { RawPeer, bounded, echo, testCertificate } from '../helpers.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const request = (path: string, extra = '', version = '13') =>
  `GET ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: ${version}\r\n${extra}\r\n`;

async function serve(options: ServerOptions = {}) {
  const server = new WebSocketServer({ onError: () => {}, ...options });
  server.route('/', echo);
  server.route('/guarded', echo, { origins: ['https://ok.example'] });
  const { port } = await server.listen(0, '127.0.0.1');
  return { server, port, url: `${options.tls ? 'wss' : 'ws'}://127.0.0.1:${port}` };
}

/** A client that sends `text`, reads the answer's status, and never closes its side. */
async function stubbornClient(port: number, text: string): Promise<{ socket: net.Socket; status: number }> {
  const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  socket.on('error', () => {});
  socket.write(text);
  const first: Buffer = await new Promise((resolve, reject) => {
    socket.once('data', resolve);
    socket.once('close', () => reject(new Error('closed before answering')));
  });
  return { socket, status: Number(first.toString('latin1', 9, 12)) };
}

/** Polls `attempt` until it succeeds or `ms` pass; returns how long it took. */
async function within(ms: number, attempt: () => Promise<unknown>): Promise<number> {
  const started = Date.now();
  for (;;) {
    try {
      await attempt();
      return Date.now() - started;
    } catch (error) {
      if (Date.now() - started > ms) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

const closed = (socket: net.Socket): Promise<void> =>
  socket.destroyed ? Promise.resolve() : new Promise((resolve) => socket.once('close', () => resolve()));

describe('refused handshakes let go of the socket', () => {
  test('30 refused clients that never close free their maxConnections slots within 2 s', async () => {
    const { server, port, url } = await serve({ maxConnections: 30 });
    const kinds = [request('/nowhere'), request('/', '', '8'), request('/guarded', 'Origin: https://evil.example\r\n'), request('/').replace(KEY, 'short')];
    const clients = await Promise.all(Array.from({ length: 30 }, (_, i) => stubbornClient(port, kinds[i % kinds.length])));
    assert.deepEqual([...new Set(clients.map((c) => c.status))].sort(), [400, 403, 404, 426]);
    // All 30 slots were taken; a 31st connection only works once refused ones are let go.
    const took = await within(2000, async () => {
      const ws = await connect(url, { timeout: 1000 });
      await ws.send('still here');
      assert.equal(await ws.receive(1000), 'still here');
      await ws.close();
    });
    assert.ok(took < 2000, `took ${took} ms`);
    for (const { socket } of clients) socket.destroy();
    await server.close();
  });

  test('extra connections beyond maxConnections are accepted, then closed at once (no backlog)', async () => {
    const { server, port, url } = await serve({ maxConnections: 1 });
    const first = await connect(url);
    const extra = net.connect(port, '127.0.0.1');
    extra.on('error', () => {});
    let received = 0;
    extra.on('data', (chunk: Buffer) => (received += chunk.length));
    await bounded(new Promise((resolve) => extra.once('connect', resolve)), { what: 'the extra connection' });
    await bounded(closed(extra), { timeoutMs: 2000, what: 'the server to close the connection beyond maxConnections' });
    assert.equal(received, 0, 'closed without an answer');
    await first.send('the first is unaffected');
    assert.equal(await first.receive(5000), 'the first is unaffected');
    await first.close();
    await server.close();
  });
});

describe('HTTP answers and RFC 6455 §4.2.1', () => {
  test('an HTTP/1.0 upgrade gets 400; "Upgrade: websocket" without "Connection: Upgrade" gets 400; no Upgrade at all 426', async () => {
    const { server, port } = await serve();
    const old = await RawPeer.connect(port);
    old.write(request('/').replace('HTTP/1.1', 'HTTP/1.0'));
    assert.match((await old.readAll()).toString('latin1'), /^HTTP\/1\.1 400 [^]*needs HTTP\/1\.1/);
    const noConnection = await RawPeer.connect(port);
    noConnection.write(request('/').replace('Connection: Upgrade', 'Connection: keep-alive'));
    assert.match((await noConnection.readAll()).toString('latin1'), /^HTTP\/1\.1 400 [^]*Connection: Upgrade/);
    const plain = await RawPeer.connect(port);
    plain.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.match((await plain.readAll()).toString('latin1'), /^HTTP\/1\.1 426 [^]*upgrade: websocket/i);
    await server.close();
  });
});

describe('wss:// handshakeTimeout covers TLS', () => {
  test('idle TCP connections and a TLS session with no request are closed within 2 s at handshakeTimeout 1000', async () => {
    const { key, cert } = testCertificate();
    const { server, port, url } = await serve({ tls: { key, cert }, handshakeTimeout: 1000 });
    const open = await connect(`${url}/`, { ca: cert });
    const started = Date.now();
    const idle = Array.from({ length: 5 }, () => net.connect(port, '127.0.0.1').on('error', () => {}));
    const silent = tls.connect({ port, host: '127.0.0.1', ca: cert, servername: 'localhost' }).on('error', () => {});
    await new Promise((resolve) => silent.once('secureConnect', resolve));
    await Promise.all([...idle, silent].map(closed));
    const took = Date.now() - started;
    assert.ok(took >= 900 && took < 2000, `closed after ${took} ms`);
    // The connection that finished its handshake is not subject to the limit.
    await open.send('after the deadline');
    assert.equal(await open.receive(2000), 'after the deadline');
    await open.close();
    await server.close();
  });
});

describe('user callbacks cannot take the server down', () => {
  test('an onError that throws: the failing connection still closes with 1011, authorize and onRequest failures still answer 500, close() resolves', async (t) => {
    const logged: unknown[][] = [];
    t.mock.method(console, 'error', (...args: unknown[]) => logged.push(args));
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const server = new WebSocketServer({
      onError: () => {
        throw new Error('onError is broken too');
      },
      onRequest: () => {
        throw new Error('page bug');
      },
    });
    server.route('/handler', () => {
      throw new Error('handler bug');
    });
    server.route('/authorize', echo, { authorize: () => { throw new Error('authorize bug'); } });
    const { port } = await server.listen(0, '127.0.0.1');
    const ws = await connect(`ws://127.0.0.1:${port}/handler`);
    assert.equal(await ws.receive(5000), null);
    assert.equal(ws.closeInfo?.code, 1011);
    const refused = await RawPeer.connect(port);
    refused.write(request('/authorize'));
    assert.match((await refused.readAll()).toString('latin1'), /^HTTP\/1\.1 500 /);
    const page = await RawPeer.connect(port);
    page.write('GET /page HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.match((await page.readAll()).toString('latin1'), /^HTTP\/1\.1 500 /);
    await server.close();
    process.removeListener('unhandledRejection', onUnhandled);
    assert.deepEqual(unhandled, []);
    const messages = logged.map((args) => args.map((a) => (a instanceof Error ? a.message : String(a))).join(' '));
    for (const bug of ['handler bug', 'authorize bug', 'page bug']) {
      assert.ok(messages.some((m) => m.includes(bug) && m.includes('onError is broken too')), `${bug} logged: ${messages.join(' | ')}`);
    }
  });
});
