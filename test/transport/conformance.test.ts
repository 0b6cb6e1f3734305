// Autobahn|Testsuite categories at small scale, in CI forever: each row
// plays the same kind of byte sequence as the suite against our server
// (echo handler) and against our client (echo loop), over real sockets, and
// checks the reaction: what is echoed, the close code, and for fail-fast
// cases that the close came before the rest was sent.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import { connect } from '../../src/transport/client.js';
import type { Socket } from 'node:net';
import { RawPeer, startServer, echo, frame, closeBody, rawServer, requestKey, switching, parseFrames, nextTurn, waitFor, type Frame } from '../helpers.js';

type Role = 'server' | 'client';
interface Outcome { frames: Frame[]; closeCode: number | null }

/**
 * A step: bytes to send, or PAUSE: wait until the testee has read what was
 * sent so far, so the next bytes arrive apart. `build(mask)` builds a frame
 * in the direction the tested role receives (masked when we test the server).
 */
const PAUSE = 'pause';
type Step = Buffer | typeof PAUSE;
type Builder = (b0: number, payload?: Buffer | string, len?: number) => Buffer;

const FIN = 0x80;
const TEXT = 0x1, BINARY = 0x2, CLOSE = 0x8, PING = 0x9, PONG = 0xa;

async function play(role: Role, script: (f: Builder) => Step[], options: { deflate?: string; maxMessageSize?: number } = {}): Promise<Outcome> {
  const build: Builder = (b0, payload = '', len) => frame(b0, typeof payload === 'string' ? Buffer.from(payload) : payload, role === 'server' ? randomBytes(4) : null, len);
  const steps = script(build);
  const runSteps = async (socket: Socket, closed: () => boolean) => {
    for (const step of steps) {
      if (closed()) break;
      // The write callback: the bytes are in the kernel; the next turn's poll lets the testee read them.
      if (step === PAUSE) await new Promise((r) => socket.write('', r)).then(nextTurn).then(nextTurn);
      else socket.write(step);
    }
  };
  if (role === 'server') {
    const { server, port } = await startServer({ '/': echo }, { maxMessageSize: options.maxMessageSize, closeTimeout: 1000 });
    const { peer } = await RawPeer.handshake(port, '/', options.deflate ? `Sec-WebSocket-Extensions: ${options.deflate}\r\n` : '');
    await runSteps(peer.socket, () => peer.ended);
    // Like the suite, close politely; TCP keeps it behind the frames, so a testee that fails on them never sees it.
    if (!peer.ended) peer.write(build(FIN | CLOSE, closeBody(1000)));
    const { frames, closeCode } = await peer.readUntilClosed(4000);
    peer.close();
    await server.close();
    return { frames, closeCode };
  }
  let received = Buffer.alloc(0);
  let ended = false;
  const srv = await rawServer(async (socket, request) => {
    socket.on('data', (d) => (received = Buffer.concat([received, d])));
    socket.on('close', () => (ended = true));
    socket.write(switching(requestKey(request), options.deflate ? `Sec-WebSocket-Extensions: ${options.deflate}\r\n` : ''));
    await runSteps(socket, () => ended || socket.destroyed);
    // Like the suite, close politely (behind the frames), then end TCP once our client has sent its Close frame.
    const closeSent = () => parseFrames(received).frames.some((f) => f.opcode === CLOSE);
    if (!ended && !closeSent()) socket.write(build(FIN | CLOSE, closeBody(1000)));
    await waitFor(() => ended || closeSent(), { what: 'the client\'s Close frame' }).catch(() => {});
    socket.end();
  });
  const ws = await connect(`ws://127.0.0.1:${srv.port}/`, { perMessageDeflate: !!options.deflate, maxMessageSize: options.maxMessageSize, closeTimeout: 1000 });
  await echo(ws);
  await ws.whenClosed();
  srv.close();
  const { frames } = parseFrames(received);
  const close = frames.find((f) => f.opcode === CLOSE);
  return { frames, closeCode: close && close.payload.length >= 2 ? close.payload.readUInt16BE(0) : null };
}

const dataFrames = (o: Outcome) => o.frames.filter((f) => f.opcode !== CLOSE);
const echoed = (o: Outcome) => dataFrames(o).map((f) => [f.opcode, f.opcode === BINARY ? f.payload.toString('hex') : f.payload.toString()]);

interface Row {
  id: string;
  script: (f: Builder) => Step[];
  /** Expected non-close frames as [opcode, text or hex]. */
  expect: Array<[number, string]>;
  close: number;
  maxMessageSize?: number;
}

const utf8 = (hex: string) => Buffer.from(hex, 'hex');
const big = (n: number, ch = '*') => ch.repeat(n);

const rows: Row[] = [
  // 1. Framing
  ...[0, 125, 126, 127, 128, 65535, 65536].map((n): Row => ({ id: `1.1 text ${n} bytes`, script: (f) => [f(FIN | TEXT, big(n))], expect: [[TEXT, big(n)]], close: 1000 })),
  { id: '1.2 binary 65536 bytes, in chunks of 997', script: (f) => chunked(f(FIN | BINARY, Buffer.alloc(65536, 0xfe)), 997), expect: [[BINARY, Buffer.alloc(65536, 0xfe).toString('hex')]], close: 1000 },
  // 2. Pings and pongs
  { id: '2.2 ping with payload', script: (f) => [f(FIN | PING, 'Hello, world!')], expect: [[PONG, 'Hello, world!']], close: 1000 },
  { id: '2.4 ping with 125 bytes', script: (f) => [f(FIN | PING, big(125))], expect: [[PONG, big(125)]], close: 1000 },
  { id: '2.5 ping with 126 bytes', script: (f) => [f(FIN | PING, big(126))], expect: [], close: 1002 },
  { id: '2.7 unsolicited pong', script: (f) => [f(FIN | PONG, 'unsolicited'), f(FIN | TEXT, 'after')], expect: [[TEXT, 'after']], close: 1000 },
  { id: '2.10 ten pings', script: (f) => Array.from({ length: 10 }, (_, i) => f(FIN | PING, `p${i}`)), expect: Array.from({ length: 10 }, (_, i): [number, string] => [PONG, `p${i}`]), close: 1000 },
  // 3. Reserved bits
  { id: '3.1 RSV2 on a text frame', script: (f) => [f(FIN | 0x20 | TEXT, 'x')], expect: [], close: 1002 },
  { id: '3.2 valid text, then RSV1, then ping', script: (f) => [f(FIN | TEXT, 'Hello'), f(FIN | 0x40 | TEXT, 'x'), f(FIN | PING, '')], expect: [[TEXT, 'Hello']], close: 1002 },
  { id: '3.7 RSV7 on a close frame', script: (f) => [f(FIN | 0x70 | CLOSE, '')], expect: [], close: 1002 },
  // 4. Opcodes
  ...[3, 4, 5, 6, 7].map((op): Row => ({ id: `4.1 reserved data opcode ${op}`, script: (f) => [f(FIN | TEXT, 'a'), f(FIN | op, 'b'), f(FIN | PING, '')], expect: [[TEXT, 'a']], close: 1002 })),
  ...[0xb, 0xc, 0xd, 0xe, 0xf].map((op): Row => ({ id: `4.2 reserved control opcode ${op}`, script: (f) => [f(FIN | op, '')], expect: [], close: 1002 })),
  // 5. Fragmentation
  { id: '5.1 fragmented ping', script: (f) => [f(PING, 'frag'), f(FIN, 'ment')], expect: [], close: 1002 },
  { id: '5.3 text in 2 fragments', script: (f) => [f(TEXT, 'frag'), f(FIN, 'ment')], expect: [[TEXT, 'fragment']], close: 1000 },
  { id: '5.6 text in 2 fragments, a ping between', script: (f) => [f(TEXT, 'frag'), f(FIN | PING, 'ping'), f(FIN, 'ment')], expect: [[PONG, 'ping'], [TEXT, 'fragment']], close: 1000 },
  { id: '5.8 the same, one byte at a time', script: (f) => chunked(Buffer.concat([f(TEXT, 'frag'), f(FIN | PING, 'ping'), f(FIN, 'ment')]), 1), expect: [[PONG, 'ping'], [TEXT, 'fragment']], close: 1000 },
  { id: '5.9 continuation without a start', script: (f) => [f(FIN, 'orphan'), f(FIN | TEXT, 'x')], expect: [], close: 1002 },
  { id: '5.17 text, then a new text frame inside it', script: (f) => [f(TEXT, 'a'), f(FIN | TEXT, 'b')], expect: [], close: 1002 },
  { id: '5.19 fragments with pings and pauses', script: (f) => [f(TEXT, '1'), f(0, '2'), f(FIN | PING, 'a'), PAUSE, f(0, '3'), f(0, '4'), f(FIN | PING, 'b'), PAUSE, f(FIN, '5')], expect: [[PONG, 'a'], [PONG, 'b'], [TEXT, '12345']], close: 1000 },
  // 6. UTF-8
  { id: '6.2 valid multi-byte text', script: (f) => [f(FIN | TEXT, 'Hello-µ@ßöäüàá-UTF-8!!')], expect: [[TEXT, 'Hello-µ@ßöäüàá-UTF-8!!']], close: 1000 },
  { id: '6.2.3 valid text, one byte per frame', script: (f) => [...Buffer.from('κόσμε')].map((b, i, all) => f((i === all.length - 1 ? FIN : 0) | (i === 0 ? TEXT : 0), Buffer.from([b]))), expect: [[TEXT, 'κόσμε']], close: 1000 },
  { id: '6.3.1 invalid text', script: (f) => [f(FIN | TEXT, utf8('cebae1bdb9cf83cebcceb5eda080656469746564'))], expect: [], close: 1007 },
  { id: '6.4.1 fail fast: invalid in the 2nd fragment, the 3rd never matters', script: (f) => [f(TEXT, utf8('cebae1bdb9cf83cebcceb5')), PAUSE, f(0, utf8('f4908080')), PAUSE, f(FIN, utf8('656469746564'))], expect: [], close: 1007 },
  { id: '6.4.3 fail fast inside one frame sent in 3 chunks', script: (f) => { const b = f(FIN | TEXT, utf8('cebae1bdb9cf83cebcceb5f4908080656469746564')); return [b.subarray(0, b.length - 10), PAUSE, b.subarray(b.length - 10, b.length - 6), PAUSE, b.subarray(b.length - 6)]; }, expect: [], close: 1007 },
  { id: '6.8 invalid lead byte', script: (f) => [f(FIN | TEXT, utf8('fe'))], expect: [], close: 1007 },
  // 7. Close handling
  { id: '7.1.1 echo, then close', script: (f) => [f(FIN | TEXT, 'Hello'), f(FIN | CLOSE, closeBody(1000))], expect: [[TEXT, 'Hello']], close: 1000 },
  { id: '7.1.3 text after close is ignored', script: (f) => [f(FIN | CLOSE, closeBody(1000)), f(FIN | TEXT, 'late')], expect: [], close: 1000 },
  { id: '7.3.2 close with a 1-byte payload', script: (f) => [f(FIN | CLOSE, Buffer.from([0x03]))], expect: [], close: 1002 },
  { id: '7.3.3 close with code only', script: (f) => [f(FIN | CLOSE, closeBody(1000))], expect: [], close: 1000 },
  { id: '7.3.6 close reason of 124 bytes (frame too long)', script: (f) => [f(FIN | CLOSE, closeBody(1000, big(124)))], expect: [], close: 1002 },
  { id: '7.5.1 close reason with invalid UTF-8', script: (f) => [f(FIN | CLOSE, Buffer.concat([closeBody(1000), utf8('cebae1bdb9cf83cebcceb5eda080656469746564')]))], expect: [], close: 1007 },
  ...[1000, 1001, 1003, 1011, 3000, 4999].map((code): Row => ({ id: `7.7 valid close code ${code}`, script: (f) => [f(FIN | CLOSE, closeBody(code))], expect: [], close: code })),
  ...[0, 999, 1004, 1005, 1006, 1016, 2999, 5000].map((code): Row => ({ id: `7.9 invalid close code ${code}`, script: (f) => [f(FIN | CLOSE, closeBody(code))], expect: [], close: 1002 })),
  // 9. Limits and performance, small scale
  { id: '9.1 1 MiB text message', script: (f) => [f(FIN | TEXT, big(1 << 20, 'ä'))], expect: [[TEXT, big(1 << 20, 'ä')]], close: 1000 },
  { id: '9.2 1 MiB binary in 64 KiB frames', script: (f) => Array.from({ length: 16 }, (_, i) => f((i === 15 ? FIN : 0) | (i === 0 ? BINARY : 0), Buffer.alloc(65536, i))), expect: [[BINARY, Buffer.concat(Array.from({ length: 16 }, (_, i) => Buffer.alloc(65536, i))).toString('hex')]], close: 1000 },
  { id: '9.x message over maxMessageSize', script: (f) => [f(FIN | BINARY, Buffer.alloc(70_000))], expect: [], close: 1009, maxMessageSize: 65536 },
  // 10. Misc
  { id: '10.1.1 64 KiB text in 1300-byte chunks', script: (f) => chunked(f(FIN | TEXT, big(65536, 'x')), 1300), expect: [[TEXT, big(65536, 'x')]], close: 1000 },
];

function chunked(bytes: Buffer, size: number): Buffer[] {
  const out = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

for (const role of ['server', 'client'] as const) {
  describe(`conformance, our ${role}`, () => {
    for (const row of rows) {
      test(row.id, async () => {
        const outcome = await play(role, row.script, { maxMessageSize: row.maxMessageSize });
        assert.deepEqual(echoed(outcome), row.expect.map(([op, data]) => [op, data]));
        assert.equal(outcome.closeCode, row.close);
      });
    }
  });
}

// 12 / 13. permessage-deflate: compressed messages in, compressed echoes out.
const compress = (data: Buffer) => {
  const out = deflateRawSync(data, { finishFlush: constants.Z_SYNC_FLUSH });
  return out.subarray(0, out.length - 4);
};
const inflate = (data: Buffer) => inflateRawSync(Buffer.concat([data, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: constants.Z_SYNC_FLUSH });

describe('conformance: permessage-deflate (categories 12, 13)', () => {
  const offers = [
    'permessage-deflate',
    'permessage-deflate; client_no_context_takeover; client_max_window_bits',
    'permessage-deflate; server_no_context_takeover',
    'permessage-deflate; server_max_window_bits=9',
    'permessage-deflate; server_max_window_bits=9; server_no_context_takeover; client_max_window_bits=9',
  ];
  for (const offer of offers) {
    test(`our server, offer "${offer}"`, async () => {
      const messages = [big(2000, 'a'), 'Hello '.repeat(500), big(20000, 'z'), 'short'];
      const outcome = await play('server', (f) => messages.map((m) => f(FIN | 0x40 | TEXT, compress(Buffer.from(m)))), { deflate: offer });
      const got = dataFrames(outcome);
      assert.equal(got.length, messages.length);
      // Our server compresses replies of 1 KiB and more; a compressed reply inflates (with context) to the message.
      let context = Buffer.alloc(0);
      got.forEach((f, i) => {
        if (!f.rsv1) return assert.equal(f.payload.toString(), messages[i]);
        const noContext = offer.includes('server_no_context_takeover');
        const text = inflateRawSync(Buffer.concat([f.payload, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: constants.Z_SYNC_FLUSH, ...(noContext || context.length === 0 ? {} : { dictionary: context.subarray(-32768) }) });
        assert.equal(text.toString(), messages[i]);
        context = Buffer.concat([context, text]);
      });
      assert.equal(outcome.closeCode, 1000);
    });
  }

  test('our client, the server answering client_no_context_takeover and window bits 9', async () => {
    const outcome = await play('client', (f) => [f(FIN | 0x40 | TEXT, compress(Buffer.from(big(5000, 'q')))), f(FIN | 0x40 | BINARY, compress(Buffer.alloc(3000, 7)))], {
      deflate: 'permessage-deflate; client_no_context_takeover; client_max_window_bits=9',
    });
    const got = dataFrames(outcome);
    assert.equal(got.length, 2);
    assert.ok(got.every((f) => f.rsv1));
    assert.equal(inflate(got[0].payload).toString(), big(5000, 'q'));
    assert.ok(inflate(got[1].payload).equals(Buffer.alloc(3000, 7)));
    assert.equal(outcome.closeCode, 1000);
  });

  test('RSV1 without negotiation fails with 1002, both roles', async () => {
    for (const role of ['server', 'client'] as const) {
      const outcome = await play(role, (f) => [f(FIN | 0x40 | TEXT, compress(Buffer.from('x')))]);
      assert.equal(outcome.closeCode, 1002);
    }
  });

  test('a deflate bomb is stopped at the limit with 1009 and memory stays bounded', async () => {
    const bomb = compress(Buffer.alloc(256 << 20)); // 256 MiB of zeros, ~256 KiB compressed
    assert.ok(bomb.length < 300_000);
    global.gc?.();
    const before = process.memoryUsage().rss;
    for (const role of ['server', 'client'] as const) {
      const outcome = await play(role, (f) => [f(FIN | 0x40 | BINARY, bomb)], { deflate: 'permessage-deflate', maxMessageSize: 4 << 20 });
      assert.equal(outcome.closeCode, 1009);
    }
    const growth = process.memoryUsage().rss - before;
    assert.ok(growth < 128 << 20, `RSS grew by ${(growth / 1048576).toFixed(1)} MiB`);
  });
});
