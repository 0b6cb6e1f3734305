import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Connection, State, encodeCloseBody, decodeCloseBody, type ProtocolEvent } from '../../src/protocol/connection.js';
import { PerMessageDeflate } from '../../src/protocol/deflate.js';
import { WebSocketError } from '../../src/protocol/errors.js';
import { frame, parseFrames, closeBody } from '../helpers.js';

const MASK = Buffer.from([0x11, 0x22, 0x33, 0x44]);
/** A frame as a client sends it (masked). */
const c = (b0: number, payload: Buffer | string = '', len?: number) => frame(b0, payload, MASK, len);
/** A frame as a server sends it (unmasked). */
const s = (b0: number, payload: Buffer | string = '', len?: number) => frame(b0, payload, null, len);

function server(options: Partial<ConstructorParameters<typeof Connection>[0]> = {}): Connection {
  return new Connection({ side: 'server', ...options });
}
function client(options: Partial<ConstructorParameters<typeof Connection>[0]> = {}): Connection {
  return new Connection({ side: 'client', maskKey: () => MASK, ...options });
}

/** Feeds bytes one at a time: every state must survive any chunking. */
function feedBytewise(conn: Connection, data: Buffer): ProtocolEvent[] {
  const events: ProtocolEvent[] = [];
  for (let i = 0; i < data.length; i++) {
    conn.receiveData(data.subarray(i, i + 1));
    events.push(...conn.takeEvents());
  }
  return events;
}

function sentFrames(conn: Connection) {
  return parseFrames(Buffer.concat(conn.takeOutgoing())).frames;
}

/** §7.1.7: the connection failed with `code`, sent a Close frame with it, and is CLOSED. */
function assertConnectionFailing(conn: Connection, code: number, errorCode?: string): void {
  conn.releaseClose();
  assert.equal(conn.state, State.CLOSED);
  conn.takeEvents();
  const close = conn.closeEvent;
  assert.ok(close, 'a close event');
  assert.equal(close.code, code);
  assert.equal(close.wasClean, false);
  assert.ok(close.error instanceof WebSocketError);
  if (errorCode) assert.equal(close.error.code, errorCode);
  const frames = sentFrames(conn);
  assert.equal(frames.length, 1);
  assert.equal(frames[0].opcode, 0x8);
  assert.equal(frames[0].payload.readUInt16BE(0), code);
  if (conn.side === 'server') assert.equal(conn.shouldCloseTransport, true);
}

describe('framing (RFC 6455 §5.2)', () => {
  test('a masked text frame fed one byte at a time', () => {
    const conn = server();
    const events = feedBytewise(conn, c(0x81, 'Hello'));
    assert.deepEqual(events, [{ type: 'message', data: 'Hello' }]);
  });

  test('long ASCII and non-ASCII text arrive intact, in one chunk, split across chunks, and fragmented', () => {
    for (const text of ['a'.repeat(100_000), `${'a'.repeat(70_000)}κόσμε${'b'.repeat(100)}`]) {
      const bytes = Buffer.from(text);
      const oneChunk = server();
      oneChunk.receiveData(c(0x81, bytes));
      assert.deepEqual(oneChunk.takeEvents(), [{ type: 'message', data: text }]);
      const wire = c(0x81, bytes);
      const split = server();
      for (let at = 0; at < wire.length; at += 1000) split.receiveData(wire.subarray(at, at + 1000));
      assert.deepEqual(split.takeEvents(), [{ type: 'message', data: text }]);
      const fragmented = client();
      fragmented.receiveData(Buffer.concat([s(0x01, bytes.subarray(0, 70_002)), s(0x00, bytes.subarray(70_002, 70_003)), s(0x80, bytes.subarray(70_003))]));
      assert.deepEqual(fragmented.takeEvents(), [{ type: 'message', data: text }]);
    }
  });

  test('a large binary message: a view in one chunk, collected when split, joined when fragmented, masked or not', () => {
    const payload = Buffer.from(Array.from({ length: 100_003 }, (_, i) => (i * 13) & 0xff));
    for (const [side, encode] of [[server, c], [client, s]] as const) {
      const wire = encode(0x82, payload);
      const inOne = side();
      inOne.receiveData(wire);
      const [viewed] = inOne.takeEvents() as Array<{ data: Buffer }>;
      assert.deepEqual(viewed.data, payload);
      assert.equal(viewed.data.buffer, wire.buffer, 'a view of the chunk it came in');
      // Split: the first chunk holds 1/8 of it (collected), or a single byte of it (kept as views, joined).
      for (const firstPiece of [12_500, 1]) {
        const fresh = encode(0x82, payload); // the server unmasked `wire` in place
        const headerLength = fresh.length - payload.length;
        const split = side();
        const cuts = [0, headerLength + firstPiece, ...Array.from({ length: 7 }, (_, i) => headerLength + firstPiece + (i + 1) * 12_000), fresh.length];
        for (let i = 0; i + 1 < cuts.length; i++) split.receiveData(Buffer.from(fresh.subarray(cuts[i], cuts[i + 1])));
        const events = split.takeEvents() as Array<{ type: string; data: Buffer }>;
        assert.equal(events.length, 1, `${side === server ? 'masked' : 'unmasked'}, first piece ${firstPiece}`);
        assert.deepEqual(events[0].data, payload);
      }
      const fragmented = side();
      fragmented.receiveData(Buffer.concat([encode(0x02, payload.subarray(0, 50_000)), encode(0x80, payload.subarray(50_000))]));
      assert.deepEqual((fragmented.takeEvents()[0] as { data: Buffer }).data, payload);
    }
  });

  test('7-, 16- and 64-bit payload lengths', () => {
    for (const size of [0, 125, 126, 65535, 65536, 200_000]) {
      const conn = server();
      const payload = Buffer.alloc(size, 7);
      conn.receiveData(c(0x82, payload));
      const [event] = conn.takeEvents();
      assert.equal(event.type, 'message');
      assert.ok(Buffer.isBuffer(event.data) && event.data.equals(payload), `size ${size}`);
    }
  });

  test('a frame split across many chunks keeps the mask position', () => {
    const conn = server();
    const payload = Buffer.from(Array.from({ length: 1000 }, (_, i) => i & 0xff));
    const bytes = c(0x82, payload);
    for (let i = 0; i < bytes.length; i += 7) conn.receiveData(bytes.subarray(i, i + 7));
    const [event] = conn.takeEvents();
    assert.ok(Buffer.isBuffer(event.type === 'message' && event.data) && (event as { data: Buffer }).data.equals(payload));
  });

  test('fragmented message with a ping interleaved (§5.4)', () => {
    const conn = server();
    const events = feedBytewise(conn, Buffer.concat([c(0x01, 'Hel'), c(0x89, 'p'), c(0x00, 'l'), c(0x80, 'o')]));
    assert.deepEqual(events.map((e) => e.type), ['ping', 'message']);
    assert.equal((events[1] as { data: string }).data, 'Hello');
    const pong = sentFrames(conn);
    assert.equal(pong[0].opcode, 0xa);
    assert.equal(pong[0].payload.toString(), 'p');
  });

  test('empty fragments and an empty message', () => {
    const conn = server();
    conn.receiveData(Buffer.concat([c(0x01, ''), c(0x00, ''), c(0x80, ''), c(0x82, '')]));
    assert.deepEqual(conn.takeEvents(), [{ type: 'message', data: '' }, { type: 'message', data: Buffer.alloc(0) }]);
  });

  test('client frames are masked with the injected key; server frames are not', () => {
    const cl = client();
    cl.sendText('Hello');
    assert.equal(Buffer.concat(cl.takeOutgoing()).toString('hex'), '818511223344' + Buffer.from(Buffer.from('Hello').map((b, i) => b ^ MASK[i & 3])).toString('hex'));
    const sv = server();
    sv.sendText('Hello');
    assert.equal(Buffer.concat(sv.takeOutgoing()).toString('hex'), '810548656c6c6f');
  });

  test('a client accepts unmasked server frames', () => {
    const conn = client();
    conn.receiveData(s(0x82, Buffer.from([1, 2, 3])));
    assert.deepEqual(conn.takeEvents(), [{ type: 'message', data: Buffer.from([1, 2, 3]) }]);
  });
});

describe('protocol errors fail the connection with 1002 (§7.1.7)', () => {
  const cases: Array<[string, Buffer, string]> = [
    ['unmasked client frame at the server', s(0x81, 'hi'), 'WS_ERR_EXPECTED_MASK'],
    ['RSV1 without a negotiated extension', c(0xc1, 'hi'), 'WS_ERR_UNEXPECTED_RSV'],
    ['RSV2', c(0xa1, 'hi'), 'WS_ERR_UNEXPECTED_RSV'],
    ['RSV3', c(0x91, 'hi'), 'WS_ERR_UNEXPECTED_RSV'],
    ['reserved data opcode 3', c(0x83, ''), 'WS_ERR_INVALID_OPCODE'],
    ['reserved data opcode 7', c(0x87, 'x'), 'WS_ERR_INVALID_OPCODE'],
    ['reserved control opcode 0xB', c(0x8b, ''), 'WS_ERR_INVALID_OPCODE'],
    ['reserved control opcode 0xF', c(0x8f, 'x'), 'WS_ERR_INVALID_OPCODE'],
    ['ping of 126 bytes', c(0x89, Buffer.alloc(126)), 'WS_ERR_CONTROL_TOO_LONG'],
    ['fragmented ping', c(0x09, 'x'), 'WS_ERR_FRAGMENTED_CONTROL'],
    ['fragmented close', c(0x08, ''), 'WS_ERR_FRAGMENTED_CONTROL'],
    ['continuation without a start', c(0x80, 'x'), 'WS_ERR_UNEXPECTED_CONTINUATION'],
    ['new data frame inside a fragmented message', Buffer.concat([c(0x01, 'a'), c(0x81, 'b')]), 'WS_ERR_EXPECTED_CONTINUATION'],
    ['1-byte close payload', c(0x88, Buffer.from([3])), 'WS_ERR_INVALID_CLOSE_FRAME'],
    ['64-bit length with the top bit set', Buffer.from('827f8000000000000000', 'hex'), 'WS_ERR_INVALID_LENGTH'],
  ];
  for (const [name, bytes, code] of cases) {
    test(name, () => {
      const conn = server();
      feedBytewise(conn, bytes);
      assertConnectionFailing(conn, 1002, code);
    });
  }

  test('masked server frame at the client', () => {
    const conn = client();
    conn.receiveData(c(0x81, 'hi'));
    assertConnectionFailing(conn, 1002, 'WS_ERR_UNEXPECTED_MASK');
  });

  for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]) {
    test(`invalid close code ${code}`, () => {
      const conn = server();
      conn.receiveData(c(0x88, closeBody(code)));
      assertConnectionFailing(conn, 1002, 'WS_ERR_INVALID_CLOSE_CODE');
    });
  }

  test('RSV1 on a continuation frame, with deflate negotiated (RFC 7692 §6.1)', () => {
    const conn = server({ deflate: new PerMessageDeflate({ sendWindowBits: 15, sendNoContextTakeover: false, receiveNoContextTakeover: false }) });
    conn.receiveData(Buffer.concat([c(0x01, 'a'), c(0xc0, 'b')]));
    assertConnectionFailing(conn, 1002, 'WS_ERR_UNEXPECTED_RSV');
  });

  test('RSV1 on a control frame, with deflate negotiated', () => {
    const conn = server({ deflate: new PerMessageDeflate({ sendWindowBits: 15, sendNoContextTakeover: false, receiveNoContextTakeover: false }) });
    conn.receiveData(c(0xc9, ''));
    assertConnectionFailing(conn, 1002, 'WS_ERR_UNEXPECTED_RSV');
  });

  test('input after a failure is ignored (§7.1.7)', () => {
    const conn = server();
    conn.receiveData(c(0x83, ''));
    assertConnectionFailing(conn, 1002);
    conn.receiveData(c(0x81, 'late'));
    assert.deepEqual(conn.takeEvents(), []);
    assert.deepEqual(conn.takeOutgoing(), []);
  });

  test('messages before the bad frame are delivered first, then the failure', () => {
    const conn = server();
    conn.receiveData(Buffer.concat([c(0x81, 'first'), c(0x83, '')]));
    assert.deepEqual(conn.takeEvents(), [{ type: 'message', data: 'first' }]);
    assert.equal(conn.state, State.OPEN);
    assert.ok(conn.holdsClose);
    conn.receiveData(c(0x81, 'ignored'));
    assertConnectionFailing(conn, 1002, 'WS_ERR_INVALID_OPCODE');
  });
});

describe('invalid UTF-8 fails with 1007 (§8.1)', () => {
  test('in a single-frame text message', () => {
    const conn = server();
    conn.receiveData(c(0x81, Buffer.from([0xce, 0xba, 0xed, 0xa0, 0x80])));
    assertConnectionFailing(conn, 1007, 'WS_ERR_INVALID_UTF8');
  });

  test('fails at the fragment that breaks it, before the message ends', () => {
    const conn = server();
    conn.receiveData(c(0x01, Buffer.from('κόσμε')));
    assert.equal(conn.state, State.OPEN);
    conn.receiveData(c(0x00, Buffer.from([0xf4, 0x90]))); // > U+10FFFF: invalid already
    assertConnectionFailing(conn, 1007);
  });

  test('fails within a frame, at the TCP chunk that breaks it', () => {
    const conn = server();
    const bytes = c(0x81, Buffer.concat([Buffer.from('hello'), Buffer.from([0xc0, 0xaf]), Buffer.from('tail'.repeat(100))]));
    conn.receiveData(bytes.subarray(0, 14));
    assert.equal(conn.state, State.CLOSED, 'failed before the frame is complete');
    assertConnectionFailing(conn, 1007);
  });

  test('a message ending inside a character', () => {
    const conn = server();
    conn.receiveData(Buffer.concat([c(0x01, 'ok'), c(0x80, Buffer.from([0xe2, 0x82]))]));
    assertConnectionFailing(conn, 1007);
  });

  test('a character split across fragments is fine', () => {
    const conn = server();
    const euro = Buffer.from('€');
    feedBytewise(conn, Buffer.concat([c(0x01, euro.subarray(0, 1)), c(0x00, euro.subarray(1, 2)), c(0x80, euro.subarray(2))]));
    assert.equal(conn.state, State.OPEN);
  });

  test('long text, ASCII but for one invalid byte at the end, one frame or fragmented', () => {
    const bad = Buffer.concat([Buffer.alloc(64 * 1024, 0x61), Buffer.from([0xc0])]);
    const whole = server();
    whole.receiveData(c(0x81, bad));
    assertConnectionFailing(whole, 1007);
    const fragmented = server();
    fragmented.receiveData(Buffer.concat([c(0x01, bad.subarray(0, 40_000)), c(0x80, bad.subarray(40_000))]));
    assertConnectionFailing(fragmented, 1007);
  });

  test('a collected one-frame text fails at the chunk that breaks it', () => {
    const bad = Buffer.concat([Buffer.alloc(40_000, 0x61), Buffer.from([0xc0, 0xaf]), Buffer.alloc(60_000, 0x61)]);
    const wire = c(0x81, bad);
    const conn = server();
    conn.receiveData(wire.subarray(0, 30_000));
    conn.receiveData(wire.subarray(30_000, 50_000));
    assert.equal(conn.state, State.CLOSED, 'failed before the frame is complete');
    assertConnectionFailing(conn, 1007);
  });

  test('in a close reason', () => {
    const conn = server();
    conn.receiveData(c(0x88, Buffer.concat([closeBody(1000), Buffer.from([0xff])])));
    assertConnectionFailing(conn, 1007);
  });
});

describe('message size limit: 1009 (§10.4)', () => {
  test('one frame over the limit is refused from its header', () => {
    const conn = server({ maxMessageSize: 1000 });
    conn.receiveData(c(0x82, Buffer.alloc(0), 1001).subarray(0, 8));
    assertConnectionFailing(conn, 1009, 'WS_ERR_MESSAGE_TOO_BIG');
  });

  test('fragments adding up past the limit', () => {
    const conn = server({ maxMessageSize: 1000 });
    conn.receiveData(Buffer.concat([c(0x02, Buffer.alloc(600)), c(0x80, Buffer.alloc(600))]));
    assertConnectionFailing(conn, 1009);
  });

  test('a huge 64-bit length fails without buffering', () => {
    const conn = server();
    conn.receiveData(Buffer.from('82ff00000fffffffffff11223344', 'hex'));
    assertConnectionFailing(conn, 1009);
  });

  test('exactly the limit passes', () => {
    const conn = server({ maxMessageSize: 1000 });
    conn.receiveData(c(0x82, Buffer.alloc(1000)));
    assert.equal(conn.takeEvents()[0].type, 'message');
  });
});

describe('ping and pong (§5.5.2, §5.5.3)', () => {
  test('ping is answered with the same payload', () => {
    const conn = client();
    conn.receiveData(s(0x89, 'payload'));
    assert.deepEqual(conn.takeEvents(), [{ type: 'ping', data: Buffer.from('payload') }]);
    const [pong] = sentFrames(conn);
    assert.equal(pong.opcode, 0xa);
    assert.equal(pong.payload.toString(), 'payload');
  });

  test('an unsolicited pong is reported and not answered', () => {
    const conn = server();
    conn.receiveData(c(0x8a, 'x'));
    assert.deepEqual(conn.takeEvents(), [{ type: 'pong', data: Buffer.from('x') }]);
    assert.deepEqual(conn.takeOutgoing(), []);
  });

  test('sending ping and pong', () => {
    const conn = server();
    conn.ping(Buffer.from('a'));
    conn.pong();
    assert.deepEqual(sentFrames(conn).map((f) => f.opcode), [0x9, 0xa]);
    assert.throws(() => conn.ping(Buffer.alloc(126)), RangeError);
  });
});

describe('closing handshake (§7)', () => {
  test('the peer closes: we echo its code, the server then closes TCP', () => {
    const conn = server();
    conn.receiveData(c(0x88, closeBody(4001, 'bye')));
    assert.deepEqual(conn.takeEvents(), [{ type: 'close', code: 4001, reason: 'bye', wasClean: true }]);
    const [reply] = sentFrames(conn);
    assert.equal(reply.payload.readUInt16BE(0), 4001);
    assert.equal(conn.state, State.CLOSED);
    assert.equal(conn.shouldCloseTransport, true);
  });

  test('an empty close is answered with an empty close and reported as 1005', () => {
    const conn = client();
    conn.receiveData(s(0x88));
    assert.deepEqual(conn.takeEvents(), [{ type: 'close', code: 1005, reason: '', wasClean: true }]);
    assert.equal(sentFrames(conn)[0].payload.length, 0);
    assert.equal(conn.shouldCloseTransport, false, 'the client waits for the server to close TCP');
  });

  test('we close first: CLOSING until the reply, messages still arrive meanwhile', () => {
    const conn = client();
    conn.close(1000, 'done');
    assert.equal(conn.state, State.CLOSING);
    const [sent] = sentFrames(conn);
    assert.equal(sent.payload.readUInt16BE(0), 1000);
    assert.equal(sent.payload.subarray(2).toString(), 'done');
    conn.receiveData(Buffer.concat([s(0x81, 'late'), s(0x89, ''), s(0x88, closeBody(1000))]));
    const events = conn.takeEvents();
    assert.deepEqual(events.map((e) => e.type), ['message', 'ping', 'close']);
    assert.deepEqual(conn.takeOutgoing(), [], 'no pong and no second close after our Close frame');
    assert.equal(conn.state, State.CLOSED);
  });

  test('a Close frame after messages waits until the application has seen them', () => {
    const conn = server();
    conn.receiveData(Buffer.concat([c(0x81, 'answer me'), c(0x88, closeBody(1000))]));
    assert.deepEqual(conn.takeEvents(), [{ type: 'message', data: 'answer me' }]);
    assert.equal(conn.state, State.OPEN);
    assert.ok(conn.holdsClose);
    conn.sendText('answer');
    conn.releaseClose();
    assert.deepEqual(sentFrames(conn).map((f) => f.opcode), [0x1, 0x8]);
    assert.equal(conn.state, State.CLOSED);
  });

  test('close is idempotent and sending after it throws', () => {
    const conn = server();
    conn.close();
    conn.close(1001);
    assert.equal(sentFrames(conn).length, 1);
    assert.throws(() => conn.sendText('x'), (e: WebSocketError) => e.code === 'WS_ERR_NOT_OPEN');
  });

  test('EOF without a Close frame is 1006', () => {
    const conn = server();
    conn.receiveEof();
    assert.deepEqual(conn.takeEvents(), [{ type: 'close', code: 1006, reason: '', wasClean: false }]);
    conn.receiveEof();
    assert.deepEqual(conn.takeEvents(), []);
  });

  test('close bodies: codes and reasons are checked before sending', () => {
    assert.equal(encodeCloseBody(undefined, '').length, 0);
    assert.throws(() => encodeCloseBody(undefined, 'why'), TypeError);
    assert.throws(() => encodeCloseBody(1005, ''), RangeError);
    assert.throws(() => encodeCloseBody(1000, 'x'.repeat(124)), RangeError);
    assert.deepEqual(decodeCloseBody(closeBody(3000, 'é')), { code: 3000, reason: 'é' });
  });

  test('a failure reason is cut to 123 bytes without splitting a character', () => {
    const conn = server();
    conn.fail(new WebSocketError('WS_ERR_INTERNAL', 1008, 'é'.repeat(100)));
    const [sent] = sentFrames(conn);
    assert.ok(sent.payload.length <= 125);
    assert.ok(Buffer.from(sent.payload.subarray(2).toString()).equals(sent.payload.subarray(2)));
  });

  test('1011 failures do not leak their reason', () => {
    const conn = server();
    conn.fail(new WebSocketError('WS_ERR_INTERNAL', 1011, 'secret internals'));
    assert.equal(sentFrames(conn)[0].payload.length, 2);
  });
});

describe('permessage-deflate in the connection (RFC 7692)', () => {
  const params = { sendWindowBits: 15, sendNoContextTakeover: false, receiveNoContextTakeover: false };
  test('round trip between a client and a server, with context takeover', () => {
    const cl = client({ deflate: new PerMessageDeflate(params, { threshold: 0 }) });
    const sv = server({ deflate: new PerMessageDeflate(params, { threshold: 0 }) });
    for (const text of ['hello hello hello', 'hello hello hello again', '', 'x'.repeat(100_000)]) {
      cl.sendText(text);
      const bytes = Buffer.concat(cl.takeOutgoing());
      assert.equal(bytes[0] & 0x40, 0x40, 'RSV1 marks a compressed message');
      sv.receiveData(bytes);
      assert.deepEqual(sv.takeEvents(), [{ type: 'message', data: text }]);
    }
  });

  test('small messages under the threshold go out uncompressed', () => {
    const sv = server({ deflate: new PerMessageDeflate(params) });
    sv.sendBinary(Buffer.alloc(10));
    assert.equal(Buffer.concat(sv.takeOutgoing())[0], 0x82);
  });

  test('a deflate bomb stops at the limit with 1009', () => {
    const sv = server({ maxMessageSize: 1 << 20, deflate: new PerMessageDeflate(params) });
    const cl = client({ deflate: new PerMessageDeflate(params, { threshold: 0 }) });
    cl.sendBinary(Buffer.alloc(8 << 20));
    const bytes = Buffer.concat(cl.takeOutgoing());
    assert.ok(bytes.length < 20_000);
    sv.receiveData(bytes);
    assertConnectionFailing(sv, 1009, 'WS_ERR_MESSAGE_TOO_BIG');
  });

  test('corrupt compressed data fails with 1007', () => {
    const sv = server({ deflate: new PerMessageDeflate(params) });
    sv.receiveData(c(0xc2, Buffer.from([0xff, 0xff, 0xff, 0xff])));
    assertConnectionFailing(sv, 1007, 'WS_ERR_INFLATE');
  });

  test('invalid UTF-8 inside compressed text fails with 1007', () => {
    const cl = client({ deflate: new PerMessageDeflate(params, { threshold: 0 }) });
    const sv = server({ deflate: new PerMessageDeflate(params) });
    cl.sendText(Buffer.from([0x61, 0xff, 0x61]));
    sv.receiveData(Buffer.concat(cl.takeOutgoing()));
    assertConnectionFailing(sv, 1007, 'WS_ERR_INVALID_UTF8');
  });

  test('a compressed message split into fragments', () => {
    const cl = client({ deflate: new PerMessageDeflate(params, { threshold: 0 }) });
    cl.sendText('fragmented '.repeat(50));
    const [whole] = parseFrames(Buffer.concat(cl.takeOutgoing())).frames;
    const half = whole.payload.length >> 1;
    const sv = server({ deflate: new PerMessageDeflate(params) });
    sv.receiveData(Buffer.concat([c(0x41, whole.payload.subarray(0, half)), c(0x80, whole.payload.subarray(half))]));
    assert.deepEqual(sv.takeEvents(), [{ type: 'message', data: 'fragmented '.repeat(50) }]);
  });
});

describe('what a caller or a bug can do (issue 10)', () => {
  test('numeric limits are checked at construction: NaN, negatives and fractions are RangeErrors, Infinity is "no limit"', () => {
    for (const bad of [NaN, -1, 1.5, '1024' as unknown as number]) {
      assert.throws(() => server({ maxMessageSize: bad }), (e: Error) => e instanceof RangeError && /maxMessageSize/.test(e.message));
    }
    const unlimited = server({ maxMessageSize: Infinity });
    unlimited.receiveData(c(0x82, Buffer.alloc(70_000)));
    assert.equal((unlimited.takeEvents()[0] as { data: Buffer }).data.length, 70_000);
  });

  test('maxMessageSize: Infinity still inflates compressed messages (zlib gets a limit it accepts)', () => {
    const params = { sendWindowBits: 15, sendNoContextTakeover: false, receiveNoContextTakeover: false };
    const sender = client({ deflate: new PerMessageDeflate(params) });
    const receiver = server({ deflate: new PerMessageDeflate(params), maxMessageSize: Infinity });
    sender.sendText('x'.repeat(5000));
    receiver.receiveData(Buffer.concat(sender.takeOutgoing()));
    assert.deepEqual(receiver.takeEvents(), [{ type: 'message', data: 'x'.repeat(5000) }]);
    assert.equal(receiver.state, State.OPEN);
  });

  test('a wrong payload type is a TypeError and queues nothing: the stream stays intact', () => {
    const conn = server();
    for (const bad of [[1, 2, 3], 123, {}, null]) {
      assert.throws(() => conn.sendBinary(bad as unknown as Uint8Array), TypeError);
      assert.throws(() => conn.sendText(bad as unknown as Uint8Array), TypeError);
    }
    assert.equal(conn.hasOutgoing, false);
    conn.sendText('ok');
    assert.deepEqual(sentFrames(conn).map((f) => f.payload.toString()), ['ok']);
  });

  test('the caller may change its bytes once sendBinary returns, small or large (unmasked, uncompressed)', () => {
    for (const size of [10, 100_000]) {
      const conn = server();
      const bytes = new Uint8Array(size).fill(1);
      conn.sendBinary(bytes);
      bytes.fill(9);
      const [sent] = sentFrames(conn);
      assert.equal(sent.payload.length, size);
      assert.ok(sent.payload.every((b) => b === 1), `size ${size}: the bytes at the time of the send`);
    }
  });

  test('an error that is not a WebSocketError fails the connection with 1011, keeping the cause, instead of throwing', () => {
    const broken = new PerMessageDeflate({ sendWindowBits: 15, sendNoContextTakeover: false, receiveNoContextTakeover: false });
    const bug = new TypeError('a bug in the inflate path');
    broken.decompress = () => {
      throw bug;
    };
    const conn = server({ deflate: broken });
    conn.receiveData(c(0xc1, Buffer.from([0x01, 0x00])));
    assertConnectionFailing(conn, 1011, 'WS_ERR_INTERNAL');
    assert.equal(conn.closeEvent!.error!.cause, bug);
  });

  test('a 1011 failure withholds its message from the Close frame unless it names a public reason', () => {
    const hidden = server();
    hidden.fail(new WebSocketError('WS_ERR_INTERNAL', 1011, 'secret internals'));
    assert.equal(sentFrames(hidden)[0].payload.length, 2);
    const shown = server();
    shown.fail(new WebSocketError('WS_ERR_KEEPALIVE_TIMEOUT', 1011, 'keepalive ping timeout', { closeReason: 'keepalive ping timeout' }));
    assert.equal(sentFrames(shown)[0].payload.subarray(2).toString(), 'keepalive ping timeout');
  });
});
