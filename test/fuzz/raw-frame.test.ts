import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeRawFrame, repeatPayload } from '../../src/fuzz/raw-frame.js';
import { ChunkReader } from '../../src/protocol/reader.js';
import { parseFrameHeader } from '../../src/protocol/frame.js';
import { parseFrames } from '../helpers.js';

test('raw frames carry what the engine would refuse: RSV bits, reserved opcodes, fragmented control frames', () => {
  const { bytes } = encodeRawFrame({ opcode: 0x0b, rsv: 7, fin: false, payload: Buffer.from('x'), mask: null });
  assert.deepEqual([...bytes], [0x7b, 0x01, 0x78]);
  const reader = new ChunkReader();
  reader.push(bytes);
  assert.throws(() => parseFrameHeader(reader), /RSV2 and RSV3/);
});

test('raw frames are masked with the key given, unmasked when it is null', () => {
  const key = Buffer.from([1, 2, 3, 4]);
  const masked = encodeRawFrame({ opcode: 1, payload: Buffer.from('abcd'), mask: key }).bytes;
  assert.deepEqual([...masked.subarray(0, 6)], [0x81, 0x84, 1, 2, 3, 4]);
  assert.deepEqual(parseFrames(masked).frames[0].payload, Buffer.from('abcd'));
  assert.deepEqual([...encodeRawFrame({ opcode: 2, payload: Buffer.from([9]), mask: null }).bytes], [0x82, 0x01, 0x09]);
});

test('payloadLength repeats the payload, as the suite does for its big messages', () => {
  assert.deepEqual(repeatPayload(Buffer.from('ab'), 5), Buffer.from('ababa'));
  assert.equal(repeatPayload(Buffer.from('ab'), 0).length, 0);
  const { bytes, payload } = encodeRawFrame({ opcode: 1, payload: Buffer.from('xyz'), payloadLength: 70000, mask: null });
  assert.equal(payload.length, 70000);
  assert.deepEqual([...bytes.subarray(0, 10)], [0x81, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70]);
  assert.throws(() => repeatPayload(Buffer.alloc(0), 3), RangeError);
});
