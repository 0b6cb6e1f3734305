import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { connect, ConnectError, handshaken, openWebSocket } from '../../src/transport/client.js';
import { resolveLimits, type ResolvedLimits } from '../../src/protocol/limits.js';
import { State } from '../../src/protocol/connection.js';
import { rawServer, requestKey, switching, startServer, testCertificate, echo, waitFor } from '../helpers.js';

const rejects = (promise: Promise<unknown>, pattern: RegExp) =>
  assert.rejects(promise, (e: Error) => {
    assert.ok(e instanceof ConnectError, `a ConnectError, got ${e}`);
    assert.match(e.message, /^websocket connect failed: /);
    assert.match(e.message, pattern);
    return true;
  });

describe('URLs', () => {
  test('bad URLs are refused clearly', async () => {
    await rejects(connect('http://example.com/'), /unsupported URL scheme "http:"/);
    await rejects(connect('not a url'), /invalid URL/);
    await rejects(connect('ws://example.com:99999/'), /invalid URL/);
    await rejects(connect('ws://example.com/#frag'), /fragment/);
    await rejects(connect('ws://user:pw@example.com/'), /credentials/);
    await assert.rejects(connect('ws://127.0.0.1:1/', { timeout: -1 }), { name: 'TypeError', message: /^websocket connect failed: invalid timeout -1/ });
  });

  test('a URL that is not a string or URL is a TypeError naming what was passed', async () => {
    await assert.rejects(connect(undefined as never), { name: 'TypeError', message: 'websocket connect failed: the URL must be a ws:// or wss:// string (or a URL), not undefined' });
    await assert.rejects(connect(42 as never), { name: 'TypeError', message: /not number$/ });
    await assert.rejects(connect(null as never), { name: 'TypeError', message: /not null$/ });
    await assert.rejects(connect('ws://127.0.0.1:1/', 5 as never), { name: 'TypeError', message: /options must be an object/ });
    await assert.rejects(connect('ws://127.0.0.1:1/', { perMessageDeflate: { clientMaxWindowBits: 99 } }), { name: 'RangeError', message: /^websocket connect failed: perMessageDeflate.clientMaxWindowBits must be an integer from 8 to 15/ });
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

  test('timeouts beyond 2^31-1 ms (and Infinity) wait instead of firing at once', async () => {
    // The answer comes a little later than Node's overflowed timer (1 ms) would fire.
    const slow = await rawServer((s, req) => setTimeout(() => s.write(switching(requestKey(req))), 30));
    for (const timeout of [2_200_000_000, Infinity]) {
      const ws = await connect(`ws://127.0.0.1:${slow.port}/`, { timeout });
      assert.equal(ws.state, State.OPEN, `timeout ${timeout}: opened after the 30 ms answer`);
      ws.terminate();
    }
    slow.close();
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
    const server = await rawServer((s) => s.write('SSH-2.0-OpenSSH_9.2\r\n\r\n'));
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
    const refused = (headers: Record<string, unknown>, message: RegExp) =>
      assert.rejects(connect(`ws://127.0.0.1:${server.port}/`, { headers } as never), (e: Error) => {
        assert.equal(e.name, 'TypeError');
        assert.match(e.message, /^websocket connect failed: /);
        assert.match(e.message, message);
        return true;
      });
    await refused({ 'X-Evil': 'a\r\nHost: evil' }, /control characters/);
    await refused({ 'Bad Name': 'x' }, /HTTP token/);
    await refused({ Host: ['a', 'b'] }, /Host must have exactly one value/);
    await refused({ Origin: 'a', origin: 'b' }, /origin must have exactly one value/);
    await refused({ 'X-Snow': '☃' }, /above U\+00FF/);
    await refused({ 'Sec-WebSocket-Protocol': 'chat' }, /pass \{ protocols: \[\.\.\.\] \}/);
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

describe('strict answers fail at once, not at the timeout', () => {
  for (const [name, answer, message] of [
    ['an HTTP/1.0 101', 'HTTP/1.0 101 Switching Protocols\r\n', /HTTP\/1\.0/],
    ['NUL in a header value', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: web\0socket\r\n', /control character 0x00/],
    ['bare LF line endings', 'HTTP/1.1 101 Switching Protocols\nUpgrade: websocket\n\n', /bare LF/],
  ] as const) {
    test(name, async () => {
      // The server keeps the connection open: only the check can end the wait.
      const server = await rawServer((s) => s.write(answer));
      const started = Date.now();
      await assert.rejects(connect(`ws://127.0.0.1:${server.port}/`, { timeout: 20_000 }), (e: ConnectError) => {
        assert.equal(e.code, 'ERR_HANDSHAKE');
        assert.match(e.message, message);
        return true;
      });
      assert.ok(Date.now() - started < 10_000);
      server.close();
    });
  }
});

describe('the request on the wire', () => {
  test('header values go out as latin1, as node:http sends them', async () => {
    let raw = Buffer.alloc(0);
    const server = await rawServer((s, request) => {
      raw = Buffer.from(request, 'latin1');
      s.write(switching(requestKey(request)));
    });
    const ws = await connect(`ws://127.0.0.1:${server.port}/`, { headers: { 'X-Name': 'Ünïcødé' } });
    assert.ok(raw.includes(Buffer.from('X-Name: Ünïcødé\r\n', 'latin1')));
    assert.equal(ws.handshake?.request.includes('X-Name: Ünïcødé'), true);
    ws.terminate();
    server.close();
  });
});

describe('refusals', () => {
  test('a refused handshake carries status, headers and the body', async () => {
    const server = await rawServer((s) => s.end('HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\nContent-Type: application/json\r\nContent-Length: 24\r\n\r\n{"error":"token needed"}'));
    await assert.rejects(connect(`ws://127.0.0.1:${server.port}/`), (e: ConnectError) => {
      assert.ok(e instanceof ConnectError);
      assert.equal(e.message, 'websocket connect failed: unexpected HTTP status 401 Unauthorized');
      assert.equal(e.code, 'ERR_UNEXPECTED_STATUS');
      assert.equal(e.status, 401);
      assert.equal(e.headers?.['www-authenticate'], 'Bearer');
      assert.equal(e.body?.toString(), '{"error":"token needed"}');
      return true;
    });
    server.close();
  });

  test('a body that runs until close is read to 4 KiB even if the server never closes', async () => {
    const server = await rawServer((s) => s.write(`HTTP/1.1 503 Service Unavailable\r\n\r\n${'x'.repeat(10_000)}`));
    await assert.rejects(connect(`ws://127.0.0.1:${server.port}/`, { timeout: 20_000 }), (e: ConnectError) => {
      assert.equal(e.status, 503);
      assert.equal(e.body?.length, 4096);
      return true;
    });
    server.close();
  });

  test('an endless chunk extension is read to 4 KiB, not until the timeout (CVE-2024-22019)', async () => {
    let written = 0;
    const server = await rawServer((s) => {
      s.write('HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n5;');
      const block = Buffer.alloc(64 * 1024, 'e');
      const more = () => {
        while (!s.destroyed && s.write(block)) written += block.length;
        if (!s.destroyed) s.once('drain', more);
      };
      more();
    });
    await assert.rejects(connect(`ws://127.0.0.1:${server.port}/`, { timeout: 10_000 }), (e: ConnectError) => e.code === 'ERR_UNEXPECTED_STATUS' && e.status === 403);
    server.close();
    // The old reader took every byte until the timeout (1.84 GB in one run).
    assert.ok(written < 64 * 1024 * 1024, `${written} bytes of chunk extension were read`);
  });

  test('a refusal whose body is cut by the timeout still reports the refusal', async () => {
    const server = await rawServer((s) => s.write('HTTP/1.1 403 Forbidden\r\n\r\npartial'));
    await assert.rejects(connect(`ws://127.0.0.1:${server.port}/`, { timeout: 500 }), (e: ConnectError) => {
      assert.equal(e.code, 'ERR_UNEXPECTED_STATUS');
      assert.equal(e.status, 403);
      assert.equal(e.body?.toString(), 'partial');
      return true;
    });
    server.close();
  });
});

describe('subprotocols', () => {
  test('the offer goes out, the server picks one, ws.protocol says which', async () => {
    let offered = '';
    const server = await rawServer((s, request) => {
      offered = /Sec-WebSocket-Protocol: (.*)\r\n/.exec(request)![1];
      s.write(switching(requestKey(request), 'Sec-WebSocket-Protocol: graphql-transport-ws\r\n'));
    });
    const ws = await connect(`ws://127.0.0.1:${server.port}/`, { protocols: ['graphql-ws', 'graphql-transport-ws'] });
    assert.equal(offered, 'graphql-ws, graphql-transport-ws');
    assert.equal(ws.protocol, 'graphql-transport-ws');
    assert.match(ws.handshake!.request, /\r\nSec-WebSocket-Protocol: graphql-ws, graphql-transport-ws$/);
    assert.match(ws.handshake!.response, /^HTTP\/1\.1 101 Switching Protocols\r\n[^]*\r\nSec-WebSocket-Protocol: graphql-transport-ws$/);
    ws.terminate();
    server.close();
  });

  test('one string offers one protocol; no answer means ""; an unoffered answer fails', async () => {
    const server = await rawServer((s, request) => s.write(switching(requestKey(request))));
    const ws = await connect(`ws://127.0.0.1:${server.port}/`, { protocols: 'chat' });
    assert.equal(ws.protocol, '');
    ws.terminate();
    server.close();
    const liar = await rawServer((s, request) => s.write(switching(requestKey(request), 'Sec-WebSocket-Protocol: mqtt\r\n')));
    await rejects(connect(`ws://127.0.0.1:${liar.port}/`, { protocols: ['chat'] }), /chose subprotocol "mqtt", which we did not offer/);
    liar.close();
  });

  test('a bad token is a TypeError and nothing is sent', async () => {
    let connections = 0;
    const server = await rawServer(() => connections++);
    for (const protocols of ['has space', ['ok', 'ok'], ['a,b'], [''], [7]]) {
      await assert.rejects(connect(`ws://127.0.0.1:${server.port}/`, { protocols } as never), { name: 'TypeError', message: /^websocket connect failed: .*subprotocol/ });
    }
    assert.equal(connections, 0);
    server.close();
  });
});

describe('onping', () => {
  test('a Ping that comes with the 101, in the same packet, reaches the onping option', async (t) => {
    const ping = Buffer.from([0x89, 5, ...Buffer.from('early')]);
    const server = await rawServer((s, request) => s.write(Buffer.concat([Buffer.from(switching(requestKey(request)), 'latin1'), ping])));
    t.after(() => server.close());
    const pings: string[] = [];
    const ws = await connect(`ws://127.0.0.1:${server.port}/`, { onping: (data: Buffer) => pings.push(data.toString()) });
    t.after(() => ws.terminate());
    assert.deepEqual(pings, ['early']); // already, before connect resolved
    await assert.rejects(connect('ws://127.0.0.1:1/', { onping: 'no' as never }), { name: 'TypeError', message: /onping must be a function/ });
  });
});

describe('openWebSocket (the sync worker opens its engine connections with it)', () => {
  test('takes the limits its entry resolved with defaults of its own, else resolves the options with the engine\'s', async (t) => {
    const { server, url } = await startServer();
    t.after(() => server.close());
    // sendWaits: over sendHighWaterMark unwritten. 100 bytes, before the tick that writes them, are over 64 and under 1 MiB.
    const sendWaitsAfter100Bytes = async (limits?: ResolvedLimits): Promise<boolean> => {
      const ws = openWebSocket(await handshaken(url), {}, limits);
      void ws.send(Buffer.alloc(100));
      const waits = ws.sendWaits;
      await ws.close();
      return waits;
    };
    assert.equal(await sendWaitsAfter100Bytes(resolveLimits({}, { sendHighWaterMark: 64 })), true, 'the entry\'s defaults hold');
    assert.equal(await sendWaitsAfter100Bytes(), false, 'without a record: the engine\'s 1 MiB');
  });
});

describe('redirects', () => {
  const redirectTo = (status: number, location: string) => `HTTP/1.1 ${status} Moved\r\nLocation: ${location}\r\nContent-Length: 0\r\n\r\n`;

  test('not followed by default: the 3xx is the error', async () => {
    const server = await rawServer((s) => s.end(redirectTo(301, '/elsewhere')));
    await assert.rejects(connect(`ws://127.0.0.1:${server.port}/`), (e: ConnectError) => e.code === 'ERR_UNEXPECTED_STATUS' && e.status === 301 && e.headers?.location === '/elsewhere');
    server.close();
  });

  test('301, 302, 303, 307, 308 followed up to maxRedirects, to ws:// or http:// locations', async () => {
    const { server: target, port } = await startServer({ '/final': echo });
    for (const status of [301, 302, 303, 307, 308]) {
      const requests: string[] = [];
      const hop2 = await rawServer((s, request) => {
        requests.push(request);
        s.end(redirectTo(status, `http://127.0.0.1:${port}/final?from=${status}`));
      });
      const hop1 = await rawServer((s, request) => {
        requests.push(request);
        s.end(redirectTo(status, `ws://127.0.0.1:${hop2.port}/next`));
      });
      const ws = await connect(`ws://127.0.0.1:${hop1.port}/start`, { maxRedirects: 2, headers: { Authorization: 'Bearer t', 'X-Keep': 'yes' } });
      assert.equal(ws.handshake?.request.split('\r\n')[0], `GET /final?from=${status} HTTP/1.1`);
      assert.match(ws.handshake!.request, new RegExp(`Host: 127\\.0\\.0\\.1:${port}\\r\\n`));
      // Credentials stay with the origin they were meant for (each hop is another port).
      assert.doesNotMatch(ws.handshake!.request, /Authorization/);
      assert.match(ws.handshake!.request, /X-Keep: yes/);
      assert.match(requests[0], /Authorization: Bearer t/);
      assert.doesNotMatch(requests[1], /Authorization/);
      await ws.send('followed');
      assert.equal(await ws.receive(2000), 'followed');
      await ws.close();
      hop1.close();
      hop2.close();
    }
    await target.close();
  });

  test('to another origin, Authorization, Cookie and Proxy-Authorization are dropped; to the same origin they are kept', async (t) => {
    const requests: string[] = [];
    const { server: target, port } = await startServer({ '/final': echo });
    const sameOrigin = await rawServer((s, request) => {
      requests.push(request);
      if (request.startsWith('GET /first ')) s.end(redirectTo(307, '/second'));
      else s.end(redirectTo(307, `ws://127.0.0.1:${port}/final`));
    });
    const headers = { Authorization: 'Bearer t', Cookie: 'session=1', 'Proxy-Authorization': 'Basic cDpx', 'X-Custom': 'kept' };
    const ws = await connect(`ws://127.0.0.1:${sameOrigin.port}/first`, { maxRedirects: 2, headers });
    t.after(async () => {
      ws.terminate();
      sameOrigin.close();
      await target.close();
    });
    for (const name of ['Authorization', 'Cookie', 'Proxy-Authorization']) {
      assert.match(requests[0], new RegExp(`${name}: `));
      assert.match(requests[1], new RegExp(`${name}: `), `${name} is kept on a redirect within the origin`);
      assert.doesNotMatch(ws.handshake!.request, new RegExp(`${name}: `), `${name} is not sent to another origin`);
    }
    assert.match(ws.handshake!.request, /X-Custom: kept/); // as undici and curl: only the credential headers go
  });

  test('the timeout covers the whole chain', async () => {
    // A redirect whose body never ends: it is read until the timeout, which then also stops the next hop.
    let hits = 0;
    const slow = await rawServer((s) => {
      hits++;
      s.write('HTTP/1.1 302 Found\r\nLocation: /next\r\n\r\nstill writing');
    });
    await assert.rejects(connect(`ws://127.0.0.1:${slow.port}/`, { maxRedirects: 2, timeout: 300 }), (e: ConnectError) => e.code === 'ETIMEDOUT');
    assert.equal(hits, 1);
    slow.close();
  });

  test('a relative Location resolves against the current URL', async () => {
    const requestLines: string[] = [];
    const server = await rawServer((s, request) => {
      requestLines.push(request.split('\r\n')[0]);
      s.end(redirectTo(307, 'b?x=1'));
    });
    await assert.rejects(connect(`ws://127.0.0.1:${server.port}/a/start`, { maxRedirects: 1 }), (e: ConnectError) => e.code === 'ERR_REDIRECT');
    assert.deepEqual(requestLines, ['GET /a/start HTTP/1.1', 'GET /a/b?x=1 HTTP/1.1']);
    server.close();
  });

  test('too many redirects, a loop, no Location, or wss:// to ws:// are ERR_REDIRECT', async () => {
    const loop = await rawServer((s) => s.end(redirectTo(302, '/again')));
    await assert.rejects(connect(`ws://127.0.0.1:${loop.port}/`, { maxRedirects: 3 }), (e: ConnectError) =>
      e.code === 'ERR_REDIRECT' && e.message === 'websocket connect failed: too many redirects (maxRedirects is 3)' && e.status === 302);
    loop.close();
    const nowhere = await rawServer((s) => s.end('HTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n'));
    await assert.rejects(connect(`ws://127.0.0.1:${nowhere.port}/`, { maxRedirects: 3 }), (e: ConnectError) => e.code === 'ERR_REDIRECT' && /without a Location/.test(e.message));
    nowhere.close();
    for (const [location, message] of [['http://[bad', /invalid Location "http:\/\/\[bad"/], ['ws://user:pw@127.0.0.1/', /unusable URL: .*credentials/]] as const) {
      const bad = await rawServer((s) => s.end(redirectTo(307, location)));
      await assert.rejects(connect(`ws://127.0.0.1:${bad.port}/`, { maxRedirects: 1 }), (e: ConnectError) => e.code === 'ERR_REDIRECT' && message.test(e.message));
      bad.close();
    }
    const ftp = await rawServer((s) => s.end(redirectTo(302, 'ftp://example.com/')));
    await assert.rejects(connect(`ws://127.0.0.1:${ftp.port}/`, { maxRedirects: 3 }), (e: ConnectError) => e.code === 'ERR_REDIRECT' && /non-WebSocket URL/.test(e.message));
    ftp.close();
    await assert.rejects(connect('ws://127.0.0.1:1/', { maxRedirects: -1 }), { name: 'TypeError', message: /maxRedirects/ });

    const { key, cert } = testCertificate();
    let plainHits = 0;
    const plain = await rawServer(() => plainHits++);
    const secure = tls.createServer({ key, cert }, (socket) => {
      socket.on('error', () => {});
      socket.once('data', () => socket.end(redirectTo(301, `ws://127.0.0.1:${plain.port}/`)));
    });
    await new Promise<void>((resolve) => secure.listen(0, '127.0.0.1', resolve));
    const url = `wss://127.0.0.1:${(secure.address() as net.AddressInfo).port}/`;
    await assert.rejects(connect(url, { ca: cert, maxRedirects: 2 }), (e: ConnectError) =>
      e.code === 'ERR_REDIRECT' && /from wss:\/\/ to ws:\/\/127\.0\.0\.1/.test(e.message));
    assert.equal(plainHits, 0);
    plain.close();
    await new Promise((resolve) => secure.close(resolve));
  });
});
