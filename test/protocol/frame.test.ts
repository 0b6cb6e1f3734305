import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFrame, encodeTextFrame, parseFrameHeader } from '../../src/protocol/frame.js';
import { ChunkReader } from '../../src/protocol/reader.js';
import { applyMask, copyMasked, maskKeyFromBytes, randomMaskKey } from '../../src/protocol/mask.js';
import { Connection } from '../../src/protocol/connection.js';
import { fixture } from '../helpers.js';

interface Example { hex: string; opcode: number; fin: boolean; masked: boolean; maskKey?: string; payload?: string; length?: number }
const examples = Object.entries(JSON.parse(fixture('rfc6455-examples.json')) as Record<string, Example>).filter(([k]) => !k.startsWith('_'));

/** assertFrameData: bytes → frame and frame → bytes, for every RFC 6455 §5.7 example. */
for (const [name, ex] of examples) {
  test(`RFC 6455 §5.7 ${name}: parse`, () => {
    const bytes = Buffer.from(ex.hex, 'hex');
    const length = ex.length ?? Buffer.from(ex.payload!, 'hex').length;
    const payload = ex.payload ? Buffer.from(ex.payload, 'hex') : Buffer.alloc(length, 0x5a);
    const reader = new ChunkReader();
    // One byte at a time: null until the whole header is there.
    const whole = Buffer.concat([bytes, ex.length ? payload : Buffer.alloc(0)]);
    let header = null;
    for (let i = 0; i < whole.length && header === null; i++) {
      reader.push(whole.subarray(i, i + 1));
      header = parseFrameHeader(reader);
    }
    assert.ok(header);
    assert.equal(header.opcode, ex.opcode);
    assert.equal(header.fin, ex.fin);
    assert.equal(header.length, length);
    assert.equal(header.masked, ex.masked);
    assert.equal(header.maskKey, ex.maskKey ? parseInt(ex.maskKey, 16) : 0);
  });

  test(`RFC 6455 §5.7 ${name}: encode`, () => {
    const payload = ex.payload ? Buffer.from(ex.payload, 'hex') : Buffer.alloc(ex.length!, 0x5a);
    const out: Buffer[] = [];
    encodeFrame(out, (ex.fin ? 0x80 : 0) | ex.opcode, payload, ex.maskKey ? parseInt(ex.maskKey, 16) : null);
    const bytes = Buffer.concat(out);
    const expectedHeader = Buffer.from(ex.hex, 'hex');
    assert.equal(bytes.subarray(0, expectedHeader.length).toString('hex'), ex.hex.slice(0, expectedHeader.length * 2));
    if (!ex.length) assert.equal(bytes.toString('hex'), ex.hex);
    else assert.equal(bytes.length, expectedHeader.length + ex.length);
  });
}

test('§5.7 examples decode through a connection', () => {
  const ex = (k: string) => Buffer.from((Object.fromEntries(examples) as Record<string, Example>)[k].hex, 'hex');
  const client = new Connection({ side: 'client' });
  client.receiveData(Buffer.concat([ex('single-frame-unmasked-text'), ex('fragmented-unmasked-text-1'), ex('unmasked-ping'), ex('fragmented-unmasked-text-2')]));
  assert.deepEqual(client.takeEvents(), [
    { type: 'message', data: 'Hello' },
    { type: 'ping', data: Buffer.from('Hello') },
    { type: 'message', data: 'Hello' },
  ]);
  const server = new Connection({ side: 'server' });
  server.receiveData(Buffer.concat([ex('single-frame-masked-text'), ex('masked-pong')]));
  assert.deepEqual(server.takeEvents(), [{ type: 'message', data: 'Hello' }, { type: 'pong', data: Buffer.from('Hello') }]);
});

test('masking: word path equals byte path at every alignment and key offset', () => {
  const key = Buffer.from([0x01, 0x80, 0xfe, 0x7f]);
  const source = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 31) & 0xff));
  for (let align = 0; align < 4; align++) {
    for (let offset = 0; offset < 4; offset++) {
      const backing = Buffer.alloc(source.length + 8);
      const buf = backing.subarray(align, align + source.length);
      source.copy(buf);
      applyMask(buf, maskKeyFromBytes(key), offset);
      for (let i = 0; i < source.length; i++) assert.equal(buf[i], source[i] ^ key[(i + offset) & 3]);
      // A sub-range leaves the rest untouched.
      const copy = Buffer.from(source);
      applyMask(copy, maskKeyFromBytes(key), offset, 40, 250);
      for (let i = 0; i < source.length; i++) assert.equal(copy[i], i < 40 || i >= 250 ? source[i] : source[i] ^ key[(i - 40 + offset) & 3]);
    }
  }
});

test('copyMasked: one pass into a frame, at every source and destination alignment', () => {
  const key = Buffer.from([0x9a, 0x01, 0xff, 0x33]);
  for (const size of [5, 200, 4099]) {
    for (let srcAlign = 0; srcAlign < 4; srcAlign++) {
      for (let dstAlign = 0; dstAlign < 4; dstAlign++) {
        const source = Buffer.alloc(size + 4).subarray(srcAlign, srcAlign + size);
        for (let i = 0; i < size; i++) source[i] = (i * 7) & 0xff;
        const original = Buffer.from(source);
        const dst = Buffer.alloc(size + 16);
        copyMasked(source, dst, 6 + dstAlign, maskKeyFromBytes(key));
        assert.ok(source.equals(original), 'the caller\'s buffer is untouched');
        for (let i = 0; i < size; i++) assert.equal(dst[6 + dstAlign + i], original[i] ^ key[i & 3]);
      }
    }
  }
});

test('large masked frames decode to their payload at any source alignment', () => {
  for (let align = 0; align < 4; align++) {
    const payload = Buffer.alloc(5000 + align).subarray(align);
    for (let i = 0; i < payload.length; i++) payload[i] = i & 0xff;
    const out: Buffer[] = [];
    encodeFrame(out, 0x82, payload, 0x01020304);
    const conn = new Connection({ side: 'server' });
    conn.receiveData(Buffer.concat(out));
    const [event] = conn.takeEvents();
    assert.ok(event.type === 'message' && Buffer.isBuffer(event.data) && event.data.equals(payload));
  }
});

test('random mask keys are 4 bytes and differ', () => {
  const keys = new Set<string>();
  for (let i = 0; i < 5000; i++) {
    const key = randomMaskKey();
    assert.ok(Number.isInteger(key) && key >= 0 && key <= 0xffffffff);
    keys.add(key.toString(16));
  }
  assert.ok(keys.size > 4900);
});

test('ChunkReader copies only across chunks', () => {
  const reader = new ChunkReader();
  const a = Buffer.from('abc');
  reader.push(a);
  reader.push(Buffer.from('def'));
  reader.push(Buffer.alloc(0));
  assert.equal(reader.peek(4), 'e'.charCodeAt(0));
  reader.skip(1);
  assert.equal(reader.peek(0), 'b'.charCodeAt(0));
  const view = reader.take(1);
  assert.equal(view.buffer, a.buffer, 'zero-copy view');
  assert.equal(reader.take(3).toString(), 'cde');
  assert.equal(reader.length, 1);
  assert.equal(reader.takeAtMost(10).toString(), 'f');
  assert.equal(reader.length, 0);
});

test('encodeTextFrame: the same bytes as encoding first, at every header size, masked or not', () => {
  for (const length of [0, 1, 125, 126, 127, 0xffff, 0x10000, 100_001]) {
    // Two-byte characters at the end put the length on both sides of each boundary.
    const text = length < 2 ? 'é'.slice(0, length) : `${'a'.repeat(length - 2)}é`;
    const bytes = Buffer.from(text);
    for (const maskKey of [null, 0x9a01ff33, 0]) {
      const expected: Buffer[] = [];
      encodeFrame(expected, 0x81, bytes, maskKey);
      const actual: Buffer[] = [];
      encodeTextFrame(actual, 0x81, text, bytes.length, maskKey);
      assert.equal(actual.length, 1, 'one buffer per frame');
      assert.deepEqual(actual[0], Buffer.concat(expected), `${bytes.length} bytes, key ${maskKey}`);
    }
  }
});
