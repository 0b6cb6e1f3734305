import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageParts } from '../../src/protocol/parts.js';

/** A piece as the socket hands it over: a view into a chunk of `chunkSize` bytes. */
function pieceOf(bytes: Buffer, chunkSize: number): Buffer {
  const chunk = Buffer.alloc(chunkSize);
  bytes.copy(chunk, 100);
  return chunk.subarray(100, 100 + bytes.length);
}

test('pieces that fill their chunk are kept as views, without a copy', () => {
  const parts = new MessageParts();
  const a = pieceOf(Buffer.alloc(40_000, 1), 64 * 1024);
  const b = pieceOf(Buffer.alloc(50_000, 2), 64 * 1024);
  parts.push(a);
  parts.push(b);
  const list = parts.take();
  assert.equal(parts.size, 90_000);
  assert.equal(list.length, 2);
  assert.equal(list[0].buffer, a.buffer);
  assert.equal(list[1].buffer, b.buffer);
});

test('one-byte pieces are copied into shared blocks: neither a Buffer nor a chunk held per byte', () => {
  const parts = new MessageParts();
  const expected = Buffer.alloc(100_000);
  const chunks = new Set<ArrayBufferLike>();
  let chunk = Buffer.alloc(0);
  for (let i = 0; i < expected.length; i++) {
    expected[i] = (i * 7) & 0xff;
    // As the socket hands them over: each byte a view into a 64 KiB chunk, a new chunk every 1000 bytes
    // (one chunk per byte made this test allocate 6.5 GB and take 15-40 s).
    if (i % 1000 === 0) chunks.add((chunk = Buffer.alloc(64 * 1024)).buffer);
    const piece = chunk.subarray(100 + (i % 1000), 101 + (i % 1000));
    piece[0] = expected[i];
    parts.push(piece);
  }
  const list = parts.take();
  assert.ok(list.length <= 7, `${list.length} blocks for 100 000 bytes`);
  for (const block of list) assert.ok(!chunks.has(block.buffer), 'no piece keeps its socket chunk alive');
  const held = new Set(list.map((b) => b.buffer)).size * 16 * 1024;
  assert.ok(held <= 2 * expected.length, `holds ${held} bytes for a ${expected.length}-byte message`);
  assert.deepEqual(Buffer.concat(list), expected);
});

test('copies and views interleave in order; a piece bigger than the room left spills into a new block', () => {
  const parts = new MessageParts();
  const pieces = [
    pieceOf(Buffer.from('small-'), 64 * 1024),
    pieceOf(Buffer.alloc(30_000, 0x61), 40_000), // a view: fills most of its chunk
    pieceOf(Buffer.from('-tiny-'), 64 * 1024), // back into the same block
    pieceOf(Buffer.alloc(20_000, 0x62), 64 * 1024), // copied, crosses the 16 KiB block end
    pieceOf(Buffer.from('-end'), 8),
  ];
  for (const piece of pieces) parts.push(piece);
  parts.push(Buffer.alloc(0));
  const joined = Buffer.concat(parts.take());
  assert.equal(parts.size, joined.length);
  assert.deepEqual(joined, Buffer.concat(pieces));
});
