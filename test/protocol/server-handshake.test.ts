import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  ServerHandshake, encodeRefusal, isRefusal, readVerdict, refusal, type RequestHead, type ServerHandshakeOptions,
} from '../../src/protocol/server-handshake.js';
import net from 'node:net';
import { startServer } from '../helpers.js';

/** The RFC 6455 §1.3 example key and its answer. */
const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

const BASE: Array<[string, string]> = [
  ['Host', 'example.com'], ['Upgrade', 'websocket'], ['Connection', 'keep-alive, Upgrade'],
  ['Sec-WebSocket-Key', KEY], ['Sec-WebSocket-Version', '13'],
];

/** A request head as node:http would hand it over; `headers` replace (or, with undefined, remove) base headers. */
function head(headers: Record<string, string | undefined> = {}, more: Partial<RequestHead> = {}): RequestHead {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const lines = BASE.filter(([name]) => !(name.toLowerCase() in lower));
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) lines.push([name, value]);
  return { method: 'GET', httpVersion: '1.1', url: '/chat', rawHeaders: lines.flat(), remoteAddress: '127.0.0.1:5000', ...more };
}

const handshake = (h: RequestHead, options: Partial<ServerHandshakeOptions> = {}) => new ServerHandshake(h, { deflate: null, ...options });
const statusOf = (h: RequestHead, options: Partial<ServerHandshakeOptions> = {}) => handshake(h, options).check()?.status ?? 101;

describe('the request as the application sees it', () => {
  test('headers and query have no prototype: "constructor" and "__proto__" are names like any other', () => {
    const plain = handshake(head()).request;
    assert.equal(plain.headers.constructor, undefined);
    assert.equal(plain.query.constructor, undefined);
    assert.equal('toString' in plain.headers, false);
    const named = handshake(head({ constructor: 'c', ['__proto__']: 'p' }, { url: '/chat?constructor=1&__proto__=2&toString=3' })).request;
    assert.equal(Object.getPrototypeOf(named.headers), null);
    assert.equal(named.headers.constructor, 'c');
    assert.equal(named.headers['__proto__'], 'p');
    assert.deepEqual(Object.keys(named.headers).slice(-2), ['constructor', '__proto__']);
    assert.equal(named.query.constructor, '1');
    assert.equal(named.query['__proto__'], '2');
    assert.equal(named.query.toString, '3');
    assert.equal(JSON.stringify(named.query), '{"constructor":"1","__proto__":"2","toString":"3"}');
  });
});

describe('request checks (RFC 6455 §4.2.1)', () => {
  test('a valid request passes', () => {
    assert.equal(handshake(head()).check(), null);
  });

  test('not an upgrade at all → 426 naming websocket; a malformed one → 400; a wrong version → 426 + 13', () => {
    const noUpgrade = handshake(head({ Upgrade: undefined })).check()!;
    assert.equal(noUpgrade.status, 426);
    assert.deepEqual(noUpgrade.headers, [['Upgrade', 'websocket']]);
    assert.equal(statusOf(head({}, { method: 'POST' })), 400);
    assert.equal(statusOf(head({}, { httpVersion: '1.0' })), 400);
    assert.equal(statusOf(head({ Connection: 'close' })), 400);
    assert.equal(statusOf(head({ Host: undefined })), 400);
    assert.equal(statusOf(head({ 'Sec-WebSocket-Key': 'nope' })), 400);
    assert.equal(statusOf(head({ 'Sec-WebSocket-Key': undefined })), 400);
    assert.equal(statusOf(head({ 'Sec-WebSocket-Protocol': 'chat, bad/token' })), 400);
    const version = handshake(head({ 'Sec-WebSocket-Version': '8' })).check()!;
    assert.equal(version.status, 426);
    assert.deepEqual(version.headers, [['Sec-WebSocket-Version', '13']]);
  });

  test('the HTTP/1.0 refusal names the RFC rule', () => {
    assert.match(handshake(head({}, { httpVersion: '1.0' })).check()!.reason, /HTTP\/1\.1 .*RFC 6455 §4\.1/);
  });

  test('origins: exact strings and patterns; another or a missing Origin → 403', () => {
    const origins = ['https://app.example', /^https:\/\/[a-z]+\.example\.org$/g];
    assert.equal(statusOf(head({ Origin: 'https://app.example' }), { origins }), 101);
    assert.equal(statusOf(head({ Origin: 'https://chat.example.org' }), { origins }), 101);
    // A /g pattern keeps no lastIndex between requests.
    assert.equal(statusOf(head({ Origin: 'https://chat.example.org' }), { origins }), 101);
    assert.equal(statusOf(head({ Origin: 'https://evil.example' }), { origins }), 403);
    assert.equal(statusOf(head({ Origin: 'https://app.example.evil' }), { origins }), 403);
    assert.equal(statusOf(head(), { origins }), 403);
    assert.equal(statusOf(head(), {}), 101);
  });
});

describe('the request handed over', () => {
  test('path, query, lower-cased headers (repeats joined), remote address, and the head text', () => {
    const h = handshake(head({ 'X-Token': 'a', Cookie: 'a=1' }, {
      url: '/chat/room?token=abc&x=1&x=2&e=%C3%A9',
      rawHeaders: [...head().rawHeaders, 'X-Token', 'a', 'x-token', 'b', 'Cookie', 'a=1', 'Cookie', 'b=2'],
    }));
    assert.equal(h.request.method, 'GET');
    assert.equal(h.request.path, '/chat/room');
    assert.deepEqual({ ...h.request.query }, { token: 'abc', x: '2', e: 'é' });
    assert.equal(h.request.headers['x-token'], 'a, b');
    assert.equal(h.request.headers.cookie, 'a=1; b=2');
    assert.equal(h.request.headers.host, 'example.com');
    assert.equal(h.request.remote_addr, '127.0.0.1:5000');
    assert.equal(h.request.certificate, undefined);
    assert.ok(h.head.startsWith('GET /chat/room?token=abc&x=1&x=2&e=%C3%A9 HTTP/1.1\r\nHost: example.com\r\n'));
    assert.ok(h.head.endsWith('Cookie: b=2'));
  });

  test('the peer certificate when there is one', () => {
    const certificate = { subject: { CN: 'alice' }, issuer: { CN: 'ca' }, valid_from: 'a', valid_to: 'b', serialNumber: '01', fingerprint256: 'AA', authorized: true };
    assert.deepEqual(handshake(head({}, { certificate })).request.certificate, certificate);
  });
});

describe('accept (§4.2.2)', () => {
  test('the 101, byte for byte, with nothing negotiated', () => {
    const agreed = handshake(head()).accept();
    const expected = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${ACCEPT}\r\n\r\n`;
    assert.deepEqual(agreed.response, Buffer.from(expected, 'latin1'));
    assert.equal(agreed.protocol, '');
    assert.equal(agreed.extensions, '');
    assert.equal(agreed.deflate, null);
    assert.equal(agreed.handshake.response, expected.slice(0, -4));
    assert.equal(agreed.handshake.request, handshake(head()).head);
  });

  test('subprotocol: the first of ours that the client offered; none in common → no header', () => {
    const offered = head({ 'Sec-WebSocket-Protocol': 'chat, superchat' });
    assert.equal(handshake(offered, { protocols: ['superchat', 'chat'] }).accept().protocol, 'superchat');
    assert.equal(handshake(offered, { protocols: ['mqtt', 'chat'] }).accept().protocol, 'chat');
    const none = handshake(offered, { protocols: ['mqtt'] }).accept();
    assert.equal(none.protocol, '');
    assert.doesNotMatch(none.response.toString('latin1'), /Sec-WebSocket-Protocol/);
    // Repeated headers count as one list (RFC 7230 §3.2.2).
    const repeated = head({}, { rawHeaders: [...head().rawHeaders, 'Sec-WebSocket-Protocol', 'a', 'Sec-WebSocket-Protocol', 'b'] });
    assert.equal(handshake(repeated, { protocols: ['b'] }).accept().protocol, 'b');
  });

  test('permessage-deflate and a subprotocol together, byte for byte, with extra headers last', () => {
    const offer = head({ 'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits', 'Sec-WebSocket-Protocol': 'chat' });
    const agreed = handshake(offer, { deflate: {}, protocols: ['chat'] }).accept({ 'X-Session': 's1' });
    assert.equal(agreed.response.toString('latin1'), [
      'HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${ACCEPT}`,
      'Sec-WebSocket-Extensions: permessage-deflate', 'Sec-WebSocket-Protocol: chat', 'X-Session: s1', '', '',
    ].join('\r\n'));
    assert.equal(agreed.extensions, 'permessage-deflate');
    assert.deepEqual(agreed.deflate, { sendWindowBits: 15, sendNoContextTakeover: false, receiveNoContextTakeover: false });
  });

  test('deflate off on the server: an offer is declined', () => {
    const agreed = handshake(head({ 'Sec-WebSocket-Extensions': 'permessage-deflate' })).accept();
    assert.equal(agreed.extensions, '');
    assert.doesNotMatch(agreed.response.toString('latin1'), /Extensions/);
  });

  test('extra headers may not break the handshake or inject lines', () => {
    const h = handshake(head());
    assert.throws(() => h.accept({ 'Sec-WebSocket-Accept': 'x' }), /cannot be overridden/);
    assert.throws(() => h.accept({ Upgrade: 'x' }), /cannot be overridden/);
    assert.throws(() => h.accept({ 'X-A': 'a\r\nSet-Cookie: b' }), /control characters/);
  });
});

describe('refusals', () => {
  test('encoded byte for byte: Connection: close, a text body and its length', () => {
    assert.equal(encodeRefusal(refusal(404, 'no WebSocket endpoint at /x')).toString('latin1'),
      'HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 28\r\n\r\nno WebSocket endpoint at /x\n');
    assert.equal(encodeRefusal({ status: 401, reason: 'r', headers: [['Content-Type', 'application/json'], ['WWW-Authenticate', 'Bearer']], body: '{"é":1}' }).toString('latin1'),
      `HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Type: application/json\r\nWWW-Authenticate: Bearer\r\nContent-Length: 8\r\n\r\n${Buffer.from('{"é":1}').toString('latin1')}`);
    assert.match(encodeRefusal(refusal(499, 'odd')).toString('latin1'), /^HTTP\/1\.1 499 \r\n/);
  });

  test("authorize's answers", () => {
    assert.deepEqual(readVerdict(true), {});
    assert.deepEqual(readVerdict(undefined), {});
    assert.deepEqual(readVerdict({ headers: { 'X-A': '1' } }), { headers: { 'X-A': '1' } });
    const forbidden = readVerdict(false);
    assert.ok(isRefusal(forbidden) && forbidden.status === 403);
    const custom = readVerdict({ status: 401, headers: { 'WWW-Authenticate': 'Bearer' }, body: 'token needed' });
    assert.ok(isRefusal(custom));
    assert.deepEqual(custom.headers, [['WWW-Authenticate', 'Bearer']]);
    assert.equal(custom.body, 'token needed');
    const redirect = readVerdict({ status: 302, headers: { Location: 'wss://elsewhere/' } });
    assert.ok(isRefusal(redirect) && redirect.status === 302 && redirect.body === 'Found\n');
    for (const bad of [42, 'yes', [], { status: 101 }, { status: 200 }, { status: 700 }, { status: '403' }, { status: 403, body: 5 }]) {
      assert.throws(() => readVerdict(bad), TypeError, JSON.stringify(bad));
    }
    assert.throws(() => readVerdict({ status: 403, headers: { 'Bad Name': 'x' } }), TypeError);
  });
});

describe('the request line and Host (RFC 9112 §3.2)', () => {
  test('two Host lines → 400, even when they agree; one is fine', () => {
    const two = head({}, { rawHeaders: [...BASE.flat(), 'Host', 'other.example'] });
    const refused = handshake(two).check()!;
    assert.equal(refused.status, 400);
    assert.match(refused.reason, /more than one Host header \(RFC 9112 §3\.2\)/);
    assert.equal(statusOf(head({}, { rawHeaders: [...BASE.flat(), 'host', 'example.com'] })), 400);
    assert.equal(statusOf(head()), 101);
  });

  test('an absolute-form target is accepted: its path routes, its authority is the host (RFC 9112 §3.2.2)', () => {
    const h = handshake(head({}, { url: 'http://real.example:8080/chat?room=1' }));
    assert.equal(h.check(), null);
    assert.equal(h.request.path, '/chat');
    assert.deepEqual({ ...h.request.query }, { room: '1' });
    assert.equal(h.request.headers.host, 'real.example:8080');
    assert.equal(handshake(head({}, { url: 'ws://u:p@host' })).request.path, '/');
    assert.equal(handshake(head({}, { url: 'ws://u:p@host' })).request.headers.host, 'host');
    // Origin form stays as it is, "//" paths included.
    assert.equal(handshake(head({}, { url: '//chat' })).request.path, '//chat');
  });
});

describe('over a real socket, our server', () => {
  /** The status line our server answers a raw request head with. */
  const statusLine = (port: number, text: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      let got = '';
      socket.on('data', (chunk) => {
        got += chunk.toString('latin1');
        if (got.includes('\r\n')) {
          socket.destroy();
          resolve(got.slice(0, got.indexOf('\r\n')));
        }
      });
      socket.on('error', reject);
      socket.on('close', () => resolve(got));
      socket.write(text);
    });
  const rest = `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`;

  test('answers two Host headers with 400 and an absolute-form target with 101', async () => {
    const { server, port } = await startServer();
    try {
      assert.equal(await statusLine(port, `GET / HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n${rest}`), 'HTTP/1.1 400 Bad Request');
      assert.equal(await statusLine(port, `GET http://a.example/ HTTP/1.1\r\nHost: a.example\r\n${rest}`), 'HTTP/1.1 101 Switching Protocols');
      assert.equal(await statusLine(port, `GET / HTTP/1.1\r\nHost: a.example\r\n${rest}`), 'HTTP/1.1 101 Switching Protocols');
    } finally {
      await server.close();
    }
  });
});
