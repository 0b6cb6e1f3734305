import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ClientHandshake, MAX_REFUSAL_BODY, type HandshakeOutcome } from '../../src/protocol/client-handshake.js';
import { HandshakeError, acceptKey } from '../../src/protocol/handshake.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const ACCEPT = acceptKey(KEY); // s3pPLMBiTxaQ9kYGzzhZRbK+xOo= (RFC 6455 §1.3)

const handshake = (options: Partial<ConstructorParameters<typeof ClientHandshake>[0]> = {}) =>
  new ClientHandshake({ host: 'example.com', resource: '/chat', key: KEY, deflate: null, ...options });

const switching = (extra = '') => `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${ACCEPT}\r\n${extra}\r\n`;

/** Feeds `bytes` one byte at a time, as the slowest network would. */
function trickle(h: ClientHandshake, bytes: string | Buffer): HandshakeOutcome | null {
  const data = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes;
  for (let i = 0; i < data.length; i++) {
    const outcome = h.receiveData(data.subarray(i, i + 1));
    if (outcome !== null) {
      assert.equal(i, data.length - 1, 'decided before the last byte');
      return outcome;
    }
  }
  return null;
}

describe('request', () => {
  test('byte for byte: resource, Host, key, version, offers, then caller headers (RFC 6455 §4.1)', () => {
    const h = handshake({ protocols: ['chat', 'superchat'], deflate: {}, headers: { Origin: 'http://example.com', 'X-Name': 'café' } });
    const expected = 'GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
      + `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n`
      + 'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n'
      + 'Sec-WebSocket-Protocol: chat, superchat\r\n'
      + 'Origin: http://example.com\r\nX-Name: café\r\n\r\n';
    assert.deepEqual(h.request, Buffer.from(expected, 'latin1'));
    assert.equal(h.requestHead, expected.slice(0, -4));
  });

  test('header values up to U+00FF go out as latin1 (one byte each), as node:http sends them', () => {
    const h = handshake({ headers: { 'X-Name': 'é' } });
    assert.ok(h.request.includes(Buffer.from([0x58, 0x2d, 0x4e, 0x61, 0x6d, 0x65, 0x3a, 0x20, 0xe9, 0x0d, 0x0a])));
    assert.ok(!h.request.includes(Buffer.from('é', 'utf8')));
  });

  test('bad arguments are TypeErrors before anything exists to send', () => {
    assert.throws(() => handshake({ protocols: 'a b' }), { name: 'TypeError', message: /invalid subprotocol "a b"/ });
    assert.throws(() => handshake({ protocols: ['chat', 'chat'] }), { name: 'TypeError', message: /listed twice/ });
    assert.throws(() => handshake({ protocols: [''] }), TypeError);
    assert.throws(() => handshake({ protocols: 5 }), { name: 'TypeError', message: /string or a list/ });
    assert.throws(() => handshake({ headers: { 'Sec-WebSocket-Protocol': 'chat' } }), { name: 'TypeError', message: /protocols option/ });
    assert.throws(() => handshake({ headers: { Host: ['a', 'b'] } }), { name: 'TypeError', message: /Host must have exactly one value/ });
    assert.throws(() => handshake({ headers: { Host: 'a', host: 'b' } }), { name: 'TypeError', message: /host must have exactly one value/ });
    assert.throws(() => handshake({ headers: { Origin: [] } }), { name: 'TypeError', message: /Origin must have exactly one value/ });
    assert.throws(() => handshake({ headers: { 'X-Emoji': '☃' } }), { name: 'TypeError', message: /above U\+00FF/ });
    assert.doesNotThrow(() => handshake({ headers: { 'X-Many': ['a', 'b'] } }));
  });
});

describe('accepting the 101 (§4.1)', () => {
  test('a plain 101, fed byte by byte; bytes after the head are handed over', () => {
    const h = handshake();
    const outcome = trickle(h, switching());
    assert.ok(outcome?.accepted);
    assert.equal(outcome.protocol, '');
    assert.equal(outcome.extensions, '');
    assert.equal(outcome.deflate, null);
    assert.equal(outcome.response.status, 101);
    assert.equal(outcome.response.reason, 'Switching Protocols');
    assert.equal(outcome.response.head, switching().slice(0, -4));
    const withFrame = handshake().receiveData(Buffer.concat([Buffer.from(switching()), Buffer.from([0x81, 0x02, 0x68, 0x69])]));
    assert.ok(withFrame?.accepted);
    assert.deepEqual(withFrame.rest, Buffer.from([0x81, 0x02, 0x68, 0x69]));
  });

  test('the subprotocol: one we offered, or none', () => {
    const chosen = handshake({ protocols: ['chat', 'superchat'] }).receiveData(Buffer.from(switching('Sec-WebSocket-Protocol: superchat\r\n')));
    assert.ok(chosen?.accepted);
    assert.equal(chosen.protocol, 'superchat');
    const none = handshake({ protocols: 'chat' }).receiveData(Buffer.from(switching()));
    assert.ok(none?.accepted);
    assert.equal(none.protocol, '');
    assert.throws(() => handshake({ protocols: ['chat'] }).receiveData(Buffer.from(switching('Sec-WebSocket-Protocol: mqtt\r\n'))), /chose subprotocol "mqtt", which we did not offer/);
    assert.throws(() => handshake().receiveData(Buffer.from(switching('Sec-WebSocket-Protocol: chat\r\n'))), /which we did not offer/);
    assert.throws(() => handshake({ protocols: ['a', 'b'] }).receiveData(Buffer.from(switching('Sec-WebSocket-Protocol: a, b\r\n'))), /which we did not offer/);
  });

  test('permessage-deflate accepted, declined, or answered wrongly', () => {
    const accepted = handshake({ deflate: {} }).receiveData(Buffer.from(switching('Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n')));
    assert.ok(accepted?.accepted);
    assert.equal(accepted.extensions, 'permessage-deflate; server_no_context_takeover');
    assert.deepEqual(accepted.deflate, { sendWindowBits: 15, sendNoContextTakeover: false, receiveNoContextTakeover: true });
    const declined = handshake({ deflate: {} }).receiveData(Buffer.from(switching()));
    assert.ok(declined?.accepted);
    assert.equal(declined.deflate, null);
    assert.throws(() => handshake().receiveData(Buffer.from(switching('Sec-WebSocket-Extensions: permessage-deflate\r\n'))), /extension we did not offer/);
    assert.throws(() => handshake({ deflate: {} }).receiveData(Buffer.from(switching('Sec-WebSocket-Extensions: permessage-deflate; x=1\r\n'))), /invalid Sec-WebSocket-Extensions answer: unknown parameter x/);
    assert.throws(() => handshake({ deflate: {} }).receiveData(Buffer.from(switching('Sec-WebSocket-Extensions: x-webkit-deflate-frame\r\n'))), /did not offer/);
  });

  test('a wrong accept key, or no Upgrade/Connection', () => {
    assert.throws(() => handshake().receiveData(Buffer.from(switching().replace(ACCEPT, acceptKey('AAAAAAAAAAAAAAAAAAAAAA==')))), /bad Sec-WebSocket-Accept/);
    assert.throws(() => handshake().receiveData(Buffer.from(switching().replace('Upgrade: websocket\r\n', ''))), /Upgrade: websocket/);
    assert.throws(() => handshake().receiveData(Buffer.from(switching().replace('Connection: Upgrade\r\n', ''))), /Connection: Upgrade/);
  });
});

describe('strictness: refused at once, not after a timeout', () => {
  test('an HTTP/1.0 101 is refused on its status line', () => {
    const h = handshake();
    assert.throws(() => h.receiveData(Buffer.from('HTTP/1.0 101 Switching')), { name: 'HandshakeError', message: /HTTP\/1\.0.*HTTP\/1\.1/ });
  });

  test('NUL or another control character in a header value', () => {
    const h = handshake();
    h.receiveData(Buffer.from('HTTP/1.1 101 Switching Protocols\r\nUpgrade: web'));
    assert.throws(() => h.receiveData(Buffer.from('soc\0ket')), /control character 0x00/);
    assert.throws(() => handshake().receiveData(Buffer.from('HTTP/1.1 101 OK\r\nX: a\x01')), /control character 0x01/);
  });

  test('bare LF and bare CR line endings', () => {
    assert.throws(() => handshake().receiveData(Buffer.from('HTTP/1.1 101 Switching Protocols\n')), /bare LF/);
    const h = handshake();
    h.receiveData(Buffer.from('HTTP/1.1 101 OK\r\nUpgrade: websocket\r'));
    assert.throws(() => h.receiveData(Buffer.from('\n\n')), /bare LF/);
    assert.throws(() => handshake().receiveData(Buffer.from('HTTP/1.1 101 OK\rX')), /bare CR/);
  });

  test('frames after the head may hold any byte', () => {
    const outcome = handshake().receiveData(Buffer.concat([Buffer.from(switching()), Buffer.from([0x82, 0x03, 0x00, 0x0a, 0x0d])]));
    assert.ok(outcome?.accepted);
    assert.deepEqual(outcome.rest, Buffer.from([0x82, 0x03, 0x00, 0x0a, 0x0d]));
  });

  test('a head over maxHeadSize, and garbage', () => {
    assert.throws(() => handshake({ maxHeadSize: 64 }).receiveData(Buffer.from(`HTTP/1.1 101 OK\r\nX: ${'a'.repeat(100)}`)), /longer than 64 bytes/);
    assert.throws(() => handshake().receiveData(Buffer.from('SSH-2.0-OpenSSH\r\n\r\n')), /invalid HTTP status line/);
  });

  test('the server closing before the head is complete', () => {
    const h = handshake();
    h.receiveData(Buffer.from('HTTP/1.1 101 OK\r\n'));
    assert.throws(() => h.receiveEof(), (e: Error) => e instanceof HandshakeError && /closed the connection before completing the handshake/.test(e.message));
  });
});

describe('refusals: status, headers and up to 4 KiB of body', () => {
  const refusal = (head: string, body: string | Buffer = '') => Buffer.concat([Buffer.from(head, 'latin1'), Buffer.from(body)]);

  test('a Content-Length body, trickled', () => {
    const h = handshake();
    const outcome = trickle(h, refusal('HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\r\n', 'no token :(\n'));
    assert.ok(outcome && !outcome.accepted);
    assert.equal(outcome.response.status, 403);
    assert.equal(outcome.response.reason, 'Forbidden');
    assert.equal(outcome.response.headers.get('content-type'), 'text/plain');
    assert.equal(outcome.body.toString(), 'no token :(\n');
  });

  test('an empty body is complete with the head; 204 and 304 have none', () => {
    for (const head of ['HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n', 'HTTP/1.1 204 No Content\r\n\r\n', 'HTTP/1.1 304 Not Modified\r\n\r\n']) {
      const outcome = handshake().receiveData(Buffer.from(head));
      assert.ok(outcome && !outcome.accepted, head);
      assert.equal(outcome.body.length, 0);
    }
  });

  test('a body without length runs until close', () => {
    const h = handshake();
    assert.equal(h.receiveData(refusal('HTTP/1.0 500 Oops\r\n\r\n', 'part one, ')), null);
    assert.equal(h.readingRefusal, true);
    assert.equal(h.receiveData(Buffer.from('part two')), null);
    const outcome = h.receiveEof();
    assert.equal(outcome.response.status, 500);
    assert.equal(outcome.body.toString(), 'part one, part two');
  });

  test('a long body is cut at 4 KiB and complete there, without waiting for the rest', () => {
    const h = handshake();
    const outcome = h.receiveData(refusal('HTTP/1.1 400 Bad Request\r\nContent-Length: 100000\r\n\r\n', Buffer.alloc(5000, 0x61)));
    assert.ok(outcome && !outcome.accepted);
    assert.equal(outcome.body.length, MAX_REFUSAL_BODY);
    const endless = handshake();
    assert.equal(endless.receiveData(refusal('HTTP/1.1 400 Bad Request\r\n\r\n', Buffer.alloc(4000))), null);
    const cut = endless.receiveData(Buffer.alloc(4000));
    assert.ok(cut && !cut.accepted);
    assert.equal(cut.body.length, 4096);
  });

  test('chunk framing counts against the 4 KiB body limit: an endless chunk extension ends the body', () => {
    const h = handshake();
    assert.equal(h.receiveData(Buffer.from('HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nno\r\n5;')), null);
    const outcome = h.receiveData(Buffer.alloc(8192, 'x'));
    assert.ok(outcome !== null && !outcome.accepted, 'the refusal is complete after 4 KiB of framing');
    assert.equal(outcome.body.toString(), 'no');
  });

  test('a chunked body is decoded, trickled', () => {
    const h = handshake();
    // Complete at the last chunk's size line: trailers are not waited for.
    const outcome = trickle(h, 'HTTP/1.1 401 Unauthorized\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\nB\r\n, chunked!\n\r\n0\r\n');
    assert.ok(outcome && !outcome.accepted);
    assert.equal(outcome.body.toString(), 'hello, chunked!\n');
    assert.throws(() => handshake().receiveData(Buffer.from('HTTP/1.1 401 No\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n')), /invalid chunk size/);
    assert.throws(() => handshake().receiveData(Buffer.from('HTTP/1.1 401 No\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab')), /not followed by CRLF/);
  });

  test('a redirect keeps its Location', () => {
    const outcome = handshake().receiveData(Buffer.from('HTTP/1.1 301 Moved Permanently\r\nLocation: ws://elsewhere/\r\nContent-Length: 0\r\n\r\n'));
    assert.ok(outcome && !outcome.accepted);
    assert.equal(outcome.response.headers.get('location'), 'ws://elsewhere/');
  });
});

describe('any chunking, any corruption: an outcome or a HandshakeError, nothing else', () => {
  /** xorshift32: the same inputs on every run. */
  const random = (seed: number) => () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  const answers = [
    switching('Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=10\r\n'),
    'HTTP/1.1 403 Forbidden\r\nContent-Length: 5\r\n\r\nnope!',
    'HTTP/1.1 401 No\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
    'HTTP/1.1 302 Found\r\nLocation: /x\r\n\r\n',
  ].map((text) => Buffer.from(text, 'latin1'));
  const fresh = () => handshake({ protocols: ['chat'], deflate: {} });

  /** Pieces of 1 to 16 bytes. */
  const pieces = (next: () => number) => () => 1 + Math.floor(next() * 16);

  /** Feeds `data` in pieces of `pieceSize()` bytes; then EOF. Returns a comparable summary. */
  function run(data: Buffer, pieceSize: () => number): string {
    const h = fresh();
    try {
      for (let i = 0; i < data.length;) {
        const size = pieceSize();
        const outcome = h.receiveData(data.subarray(i, i + size));
        i += size;
        if (outcome !== null) return outcome.accepted ? `101 ${outcome.protocol} ${outcome.extensions}` : `${outcome.response.status} ${outcome.body.toString('latin1')}`;
      }
      const outcome = h.receiveEof();
      return `${outcome.response.status} ${outcome.body.toString('latin1')} (eof)`;
    } catch (error) {
      if (!(error instanceof HandshakeError)) throw error;
      return 'refused';
    }
  }

  test('random chunkings of valid answers give the same outcome as one piece', () => {
    const next = random(0x9e3779b9);
    for (const answer of answers) {
      const whole = run(answer, () => answer.length);
      assert.notEqual(whole, 'refused');
      for (let i = 0; i < 200; i++) assert.equal(run(answer, pieces(next)), whole);
    }
  });

  test('2000 mutated answers: only outcomes or HandshakeErrors', () => {
    const next = random(12345);
    const kinds = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const data = Buffer.from(answers[i % answers.length]);
      for (let flips = 1 + Math.floor(next() * 4); flips > 0; flips--) data[Math.floor(next() * data.length)] = Math.floor(next() * 256);
      kinds.add(run(data, pieces(next)).split(' ')[0]); // run() throws on anything but an outcome or a HandshakeError
    }
    // The mutations reach every ending: refused (HandshakeError), still accepted, and answered with a status.
    assert.ok(kinds.has('refused') && kinds.has('101') && [...kinds].some((kind) => /^[2-5]\d\d$/.test(kind)), [...kinds].join());
  });
});
