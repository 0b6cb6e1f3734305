import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { connect, parseWebSocketUrl, ConnectError } from '../../src/transport/client.js';
import { rawServer, requestKey, switching, startServer, testCertificate, echo, waitFor } from '../helpers.js';

const rejects = (promise: Promise<unknown>, pattern: RegExp) =>
  assert.rejects(promise, (e: Error) => {
    assert.ok(e instanceof ConnectError, `a ConnectError, got ${e}`);
    assert.match(e.message, /^websocket connect failed: /);
    assert.match(e.message, pattern);
    return true;
  });

describe('URLs', () => {
  test('host header, resource and default ports (RFC 6455 §3, §4.1)', () => {
    assert.deepEqual(parseWebSocketUrl('ws://example.com/chat?x=1'), { secure: false, host: 'example.com', port: 80, hostHeader: 'example.com', resource: '/chat?x=1' });
    assert.deepEqual(parseWebSocketUrl('wss://example.com:8443'), { secure: true, host: 'example.com', port: 8443, hostHeader: 'example.com:8443', resource: '/' });
    assert.deepEqual(parseWebSocketUrl('ws://[::1]:9000/'), { secure: false, host: '::1', port: 9000, hostHeader: '[::1]:9000', resource: '/' });
    assert.equal(parseWebSocketUrl('ws://example.com:80/').hostHeader, 'example.com');
  });

  test('bad URLs are refused clearly', async () => {
    await rejects(connect('http://example.com/'), /unsupported URL scheme "http:"/);
    await rejects(connect('not a url'), /invalid URL/);
    await rejects(connect('ws://example.com:99999/'), /invalid URL/);
    await rejects(connect('ws://example.com/#frag'), /fragment/);
    await rejects(connect('ws://user:pw@example.com/'), /credentials/);
    await rejects(connect('ws://127.0.0.1:1/', { timeout: -1 }), /invalid timeout/);
  });
});

describe('connection failures', () => {
  test('connection refused', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((r) => probe.close(r));
    await rejects(connect(`ws://127.0.0.1:${port}/`), /connection refused/);
  });

  test('a silent server hits the connect timeout', async () => {
    const silent = await rawServer(() => {});
    const started = Date.now();
    await rejects(connect(`ws://127.0.0.1:${silent.port}/`, { timeout: 300 }), /timed out after 0\.3 s/);
    assert.ok(Date.now() - started < 3000);
    silent.close();
  });

  test('a server answering 403', async () => {
    const server = await rawServer((s) => s.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n'));
    await rejects(connect(`ws://127.0.0.1:${server.port}/`), /unexpected HTTP status 403 Forbidden/);
    server.close();
  });

  test('a wrong accept key', async () => {
    const server = await rawServer((s) => s.write(switching('AAAAAAAAAAAAAAAAAAAAAA==')));
    await rejects(connect(`ws://127.0.0.1:${server.port}/`), /bad Sec-WebSocket-Accept/);
    server.close();
  });

  test('a truncated handshake', async () => {
    const server = await rawServer((s) => s.end('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n'));
    await rejects(connect(`ws://127.0.0.1:${server.port}/`), /closed the connection before completing the handshake/);
    server.close();
  });

  test('an endless response head is cut at maxHeadSize', async () => {
    const server = await rawServer((s) => s.write(`HTTP/1.1 101 OK\r\nX: ${'a'.repeat(40_000)}`));
    await rejects(connect(`ws://127.0.0.1:${server.port}/`), /HTTP head longer than 16384 bytes/);
    server.close();
  });

  test('garbage instead of HTTP', async () => {
    const server = await rawServer((s) => s.write('\x00\xff garbage\r\n\r\n'));
    await rejects(connect(`ws://127.0.0.1:${server.port}/`), /invalid HTTP status line/);
    server.close();
  });

  test('an extension we did not offer, or a bad deflate answer', async () => {
    const server = await rawServer((s, req) => s.write(switching(requestKey(req), 'Sec-WebSocket-Extensions: permessage-deflate\r\n')));
    await rejects(connect(`ws://127.0.0.1:${server.port}/`, { perMessageDeflate: false }), /extension we did not offer/);
    server.close();
    const bad = await rawServer((s, req) => s.write(switching(requestKey(req), 'Sec-WebSocket-Extensions: permessage-deflate; x=1\r\n')));
    await rejects(connect(`ws://127.0.0.1:${bad.port}/`), /invalid Sec-WebSocket-Extensions answer: unknown parameter x/);
    bad.close();
  });

  test('header injection is refused before connecting', async () => {
    let connections = 0;
    const server = await rawServer(() => connections++);
    await rejects(connect(`ws://127.0.0.1:${server.port}/`, { headers: { 'X-Evil': 'a\r\nHost: evil' } }), /control characters/);
    await rejects(connect(`ws://127.0.0.1:${server.port}/`, { headers: { 'Bad Name': 'x' } }), /HTTP token/);
    // A good request made after them is the first the server sees.
    const probe = net.connect(server.port, '127.0.0.1', () => probe.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    await waitFor(() => connections > 0, { what: 'the probe request' });
    probe.destroy();
    assert.equal(connections, 1);
    server.close();
  });

  test('frames sent right after the 101 in the same packet are not lost', async () => {
    const server = await rawServer((s, req) => s.write(Buffer.concat([Buffer.from(switching(requestKey(req))), Buffer.from([0x81, 0x02, 0x68, 0x69])])));
    const ws = await connect(`ws://127.0.0.1:${server.port}/`);
    assert.equal(await ws.receive(1000), 'hi');
    ws.terminate();
    server.close();
  });

  test('custom headers reach the server; Host carries the port', async () => {
    let request = '';
    const server = await rawServer((s, req) => {
      request = req;
      s.write(switching(requestKey(req)));
    });
    const ws = await connect(`ws://127.0.0.1:${server.port}/path?q=1`, { headers: { Authorization: 'Bearer t', 'X-Custom-Header': 'value' } });
    assert.match(request, /^GET \/path\?q=1 HTTP\/1\.1\r\n/);
    assert.match(request, new RegExp(`\\r\\nHost: 127\\.0\\.0\\.1:${server.port}\\r\\n`));
    assert.match(request, /\r\nAuthorization: Bearer t\r\n/);
    assert.match(request, /\r\nX-Custom-Header: value\r\n/);
    ws.terminate();
    server.close();
  });
});

describe('wss://', () => {
  test('self-signed certificates are rejected by default, accepted with ca', async () => {
    const { key, cert } = testCertificate();
    const { server, url } = await startServer({ '/': echo }, { tls: { key, cert } });
    await rejects(connect(url), /TLS: .*self-signed certificate/);
    const ws = await connect(url, { ca: cert });
    await ws.send('secure');
    assert.equal(await ws.receive(2000), 'secure');
    await ws.close();
    const insecure = await connect(url, { rejectUnauthorized: false });
    await insecure.close();
    await server.close();
  });

  test('SNI and hostname verification use the URL host', async () => {
    const { key, cert } = testCertificate();
    const { server, port } = await startServer({ '/': echo }, { tls: { key, cert } });
    const ws = await connect(`wss://localhost:${port}/`, { ca: cert });
    await ws.close();
    await server.close();
  });
});
