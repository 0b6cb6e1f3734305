// WebSocket routes on an existing node:http server: attach() and
// handleUpgrade() (ws' noServer mode), next to the server's own pages.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { connect } from '../../src/transport/client.js';
import { WebSocketServer } from '../../src/transport/server.js';
import { RawPeer, echo } from '../helpers.js';

/** A plain node:http server with a page on GET / and 404 elsewhere. */
async function pageServer(): Promise<{ http: http.Server; port: number }> {
  const server = http.createServer((request, response) => {
    if (request.url === '/') {
      response.writeHead(200, { 'Content-Type': 'text/plain' });
      response.end('the page');
      return;
    }
    response.writeHead(404);
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { http: server, port: (server.address() as { port: number }).port };
}

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, agent: false }, (response) => {
      let body = '';
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, body }));
    }).on('error', reject);
  });
}

async function upgradeStatus(port: number, path: string): Promise<string> {
  const peer = await RawPeer.connect(port);
  peer.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  const head = await peer.readHead();
  peer.close();
  return head.slice(9, 12);
}

const closeHttp = (server: http.Server) => new Promise((resolve) => server.close(resolve));

describe('attaching to an existing server', () => {
  test('attach(): the page and WebSocket routes share the port; unknown upgrades get 404; close() detaches, closes ours only', async () => {
    const { http: existing, port } = await pageServer();
    const wss = new WebSocketServer({ onError: () => {} }).route('/echo', echo).attach(existing);
    assert.equal(wss.port, port);
    assert.deepEqual(await get(port, '/'), { status: 200, body: 'the page' });
    const ws = await connect(`ws://127.0.0.1:${port}/echo`);
    await ws.send('over the shared port');
    assert.equal(await ws.receive(5000), 'over the shared port');
    assert.equal(await upgradeStatus(port, '/nowhere'), '404');
    // A plain request to /echo stays the existing server's.
    assert.equal((await get(port, '/echo')).status, 404);
    await wss.close();
    assert.equal(await ws.receive(5000), null);
    assert.equal(ws.closeInfo?.code, 1001);
    assert.equal(existing.listenerCount('upgrade'), 0);
    assert.deepEqual(await get(port, '/'), { status: 200, body: 'the page' }, 'the existing server keeps serving');
    await closeHttp(existing);
  });

  test('handleUpgrade(): the program chooses which upgrades to hand over', async () => {
    const { http: existing, port } = await pageServer();
    const wss = new WebSocketServer({ onError: () => {} }).route('/ws/*', async (ws) => {
      await ws.send(`${ws.request!.path} ${ws.protocol}`);
    }, { protocols: ['chat'] });
    existing.on('upgrade', (request, socket, head) => {
      if (request.url!.startsWith('/ws/')) wss.handleUpgrade(request, socket, head);
      else socket.end('HTTP/1.1 418 I am a teapot\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    });
    const peer = await RawPeer.handshake(port, '/ws/room', 'Sec-WebSocket-Protocol: chat\r\n');
    assert.match(peer.head, /\r\nSec-WebSocket-Protocol: chat(\r\n|$)/);
    assert.equal((await peer.peer.readFrames(1))[0].payload.toString(), '/ws/room chat');
    peer.peer.close();
    assert.equal(await upgradeStatus(port, '/other'), '418');
    assert.deepEqual(await get(port, '/'), { status: 200, body: 'the page' });
    await wss.close();
    await closeHttp(existing);
  });
});

test('handleUpgrade with a request it cannot read: reported, the socket destroyed, nothing thrown at the caller', async () => {
  const errors: string[] = [];
  const wss = new WebSocketServer({ onError: (_error, where) => errors.push(where) }).route('/x', echo);
  const [ours, theirs] = await socketPair();
  const malformed = { url: '/x', method: 'GET', httpVersion: '1.1', headers: {} } as unknown as http.IncomingMessage;
  assert.doesNotThrow(() => wss.handleUpgrade(malformed, ours, Buffer.alloc(0)));
  assert.deepEqual(errors, ['upgrade to /x']);
  assert.equal(ours.destroyed, true);
  theirs.destroy();
  await wss.close();
});

/** Two connected TCP sockets on loopback. */
async function socketPair(): Promise<[net.Socket, net.Socket]> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  const pair: [net.Socket, net.Socket] = [await accepted, client];
  server.close();
  return pair;
}
