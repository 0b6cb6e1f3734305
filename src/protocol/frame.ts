import { ChunkReader } from './reader.js';
import { applyMask, copyMasked } from './mask.js';
import { isControl, isKnownOpcode } from './opcodes.js';
import { protocolError } from './errors.js';

export const FIN = 0x80;
export const RSV1 = 0x40;
const RSV2 = 0x20;
const RSV3 = 0x10;
const MASK = 0x80;

/** §5.5: "All control frames MUST have a payload length of 125 bytes or less". */
export const MAX_CONTROL_PAYLOAD = 125;

export interface FrameHeader {
  fin: boolean;
  /** RSV1: "per-message compressed" once permessage-deflate is negotiated (RFC 7692 §6). */
  rsv1: boolean;
  opcode: number;
  length: number;
  masked: boolean;
  /** The masking key as a big-endian 32-bit number (see `applyMask`); 0 when unmasked. */
  maskKey: number;
}

/**
 * Parses one frame header (§5.2), all or nothing: returns null and consumes
 * nothing until all of its 2 to 14 bytes are there. Rules that need no
 * connection state are checked here; masking direction, RSV1 and
 * fragmentation order are the connection's business.
 */
export function parseFrameHeader(reader: ChunkReader): FrameHeader | null {
  if (reader.length < 2) return null;
  const b0 = reader.peek(0);
  const b1 = reader.peek(1);
  const masked = (b1 & MASK) !== 0;
  const code7 = b1 & 0x7f;
  const extended = code7 === 126 ? 2 : code7 === 127 ? 8 : 0;
  const headerLength = 2 + extended + (masked ? 4 : 0);
  if (reader.length < headerLength) return null;

  const opcode = b0 & 0x0f;
  if (b0 & (RSV2 | RSV3)) {
    throw protocolError('WS_ERR_UNEXPECTED_RSV', 'RSV2 and RSV3 must be clear: no extension defines them (RFC 6455 §5.2)');
  }
  if (!isKnownOpcode(opcode)) {
    throw protocolError('WS_ERR_INVALID_OPCODE', `reserved opcode 0x${opcode.toString(16)} (RFC 6455 §5.2)`);
  }
  const fin = (b0 & FIN) !== 0;
  if (isControl(opcode)) {
    if (!fin) throw protocolError('WS_ERR_FRAGMENTED_CONTROL', 'control frames must not be fragmented (RFC 6455 §5.5)');
    if (code7 > MAX_CONTROL_PAYLOAD) {
      throw protocolError('WS_ERR_CONTROL_TOO_LONG', 'control frame payload longer than 125 bytes (RFC 6455 §5.5)');
    }
  }

  // Read byte by byte from the chunk list: no view is created per header.
  let length = code7;
  if (code7 === 126) {
    length = (reader.peek(2) << 8) | reader.peek(3);
  } else if (code7 === 127) {
    const high = readUint32(reader, 2);
    // §5.2: "the most significant bit MUST be 0". Past 2^53 a JS number loses
    // precision, but any limit we enforce is far lower, so the high word is
    // only checked for the reserved bit and folded in.
    if (high & 0x80000000) {
      throw protocolError('WS_ERR_INVALID_LENGTH', 'the most significant bit of a 64-bit payload length must be 0 (RFC 6455 §5.2)');
    }
    length = high * 0x1_0000_0000 + readUint32(reader, 6);
  }
  const maskKey = masked ? readUint32(reader, headerLength - 4) : 0;
  reader.skip(headerLength);
  return { fin, rsv1: (b0 & RSV1) !== 0, opcode, length, masked, maskKey };
}

/** The big-endian 32-bit number at byte `at` of the unread data. */
function readUint32(reader: ChunkReader, at: number): number {
  return ((reader.peek(at) << 24) | (reader.peek(at + 1) << 16) | (reader.peek(at + 2) << 8) | reader.peek(at + 3)) >>> 0;
}

/** Below this, aligning a masked frame's payload with the caller's is not worth 3 bytes and a view. */
const ALIGN_THRESHOLD = 1024;

/**
 * A buffer for header + masked payload whose payload starts at the same
 * address mod 4 as `payload`, so `copyMasked` can work in 32-bit words.
 */
function allocAligned(headerLength: number, payload: Uint8Array): Buffer {
  const size = headerLength + payload.length;
  if (payload.length < ALIGN_THRESHOLD) return Buffer.allocUnsafe(size);
  const backing = Buffer.allocUnsafe(size + 3);
  const pad = (payload.byteOffset - backing.byteOffset - headerLength) & 3;
  return backing.subarray(pad, pad + size);
}

/** Unmasked payloads up to this size are copied in behind their header: one buffer per frame, and the caller keeps its own. */
export const MAX_INLINE_PAYLOAD = 16 * 1024;

/**
 * Appends one frame to `out` (§5.2). `firstByte` is FIN | RSV1 | opcode.
 * Masked frames are written into one new buffer, masking while copying so
 * the caller's payload is never touched (§5.3); unmasked frames up to
 * MAX_INLINE_PAYLOAD are copied in behind the header, larger ones are a
 * small header followed by the caller's payload, uncopied.
 */
export function encodeFrame(out: Buffer[], firstByte: number, payload: Uint8Array, maskKey: number | null): void {
  const length = payload.length;
  const masked = maskKey !== null;
  const headerLength = headerLengthFor(length, maskKey);
  const inline = !masked && length <= MAX_INLINE_PAYLOAD;
  const frame = masked ? allocAligned(headerLength, payload) : Buffer.allocUnsafe(inline ? headerLength + length : headerLength);
  writeHeader(frame, firstByte, length, maskKey);
  if (masked) {
    copyMasked(payload, frame, headerLength, maskKey);
    out.push(frame);
  } else if (inline) {
    frame.set(payload, headerLength);
    out.push(frame);
  } else {
    out.push(frame);
    out.push(Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, length));
  }
}

/**
 * Appends one text frame with `text` encoded straight into the frame
 * buffer: one UTF-8 encode and, when masked, masking in place there (no
 * intermediate Buffer, no second copy). `byteLength` is Buffer.byteLength(text).
 */
export function encodeTextFrame(out: Buffer[], firstByte: number, text: string, byteLength: number, maskKey: number | null): void {
  const headerLength = headerLengthFor(byteLength, maskKey);
  const frame = Buffer.allocUnsafe(headerLength + byteLength);
  writeHeader(frame, firstByte, byteLength, maskKey);
  frame.write(text, headerLength, byteLength, 'utf8');
  if (maskKey !== null) applyMask(frame, maskKey, 0, headerLength, frame.length);
  out.push(frame);
}

/** §5.2: 2 bytes, then 2 or 8 of extended length, then 4 of masking key for masked frames. */
function headerLengthFor(length: number, maskKey: number | null): number {
  const extended = length < 126 ? 0 : length < 0x10000 ? 2 : 8;
  return 2 + extended + (maskKey !== null ? 4 : 0);
}

function writeHeader(frame: Buffer, firstByte: number, length: number, maskKey: number | null): void {
  frame[0] = firstByte;
  const code7 = length < 126 ? length : length < 0x10000 ? 126 : 127;
  frame[1] = maskKey !== null ? code7 | MASK : code7;
  if (code7 === 126) {
    frame.writeUInt16BE(length, 2);
  } else if (code7 === 127) {
    frame.writeUInt32BE(Math.floor(length / 0x1_0000_0000), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  if (maskKey !== null) frame.writeUInt32BE(maskKey, code7 === 126 ? 4 : code7 === 127 ? 10 : 2);
}
