import { randomFillSync } from 'node:crypto';

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Below this many bytes a byte loop beats creating a typed-array view. */
const WORD_THRESHOLD = 128;

/**
 * XORs `buf[start..end)` in place with a masking key (RFC 6455 §5.3). The key
 * is the 4 key octets as a big-endian 32-bit number, so headers need no
 * key buffer; payload octet `i` is XORed with key octet `i % 4`, where
 * `keyOffset` is the payload position of `buf[start]` (payloads are unmasked
 * piece by piece as they arrive). The bulk runs on aligned 32-bit words,
 * several times faster than a byte loop in V8.
 */
export function applyMask(buf: Uint8Array, key: number, keyOffset = 0, start = 0, end = buf.length): void {
  if (key === 0) return; // §5.3 allows an all-zero key, and XOR with it changes nothing
  let k = rotate(key, keyOffset);
  let i = start;
  if (end - start >= WORD_THRESHOLD) {
    const misalignment = (4 - ((buf.byteOffset + i) & 3)) & 3;
    for (let m = 0; m < misalignment; m++, i++) buf[i] ^= k >>> (24 - 8 * m);
    k = rotate(k, misalignment);
    const words = (end - i) >>> 2;
    const word = wordOf(k);
    const view = new Int32Array(buf.buffer, buf.byteOffset + i, words);
    // Signed words and unrolled by eight: V8 then keeps the loop in int32
    // registers (measured on 1 MiB: 4.6–5.5 GiB/s, against 2.4 for
    // Uint32Array unrolled by four and 2.5 rolled).
    let w = 0;
    for (; w + 8 <= words; w += 8) {
      view[w] ^= word;
      view[w + 1] ^= word;
      view[w + 2] ^= word;
      view[w + 3] ^= word;
      view[w + 4] ^= word;
      view[w + 5] ^= word;
      view[w + 6] ^= word;
      view[w + 7] ^= word;
    }
    for (; w < words; w++) view[w] ^= word;
    i += words << 2;
  }
  for (let m = 0; i < end; m++, i++) buf[i] ^= k >>> (24 - 8 * (m & 3));
}

/**
 * Writes `src` masked with `key` into `dst` from `dstStart`, in one pass
 * (§5.3: the caller's buffer is never touched). The word path needs `src`
 * and the destination to share their alignment mod 4, which `encodeFrame`
 * arranges; otherwise it copies, then masks in place.
 */
export function copyMasked(src: Uint8Array, dst: Uint8Array, dstStart: number, key: number): void {
  const length = src.length;
  const misalignment = (4 - (src.byteOffset & 3)) & 3;
  if (length < WORD_THRESHOLD || ((dst.byteOffset + dstStart + misalignment) & 3) !== 0) {
    dst.set(src, dstStart);
    applyMask(dst, key, 0, dstStart, dstStart + length);
    return;
  }
  let i = 0;
  for (; i < misalignment; i++) dst[dstStart + i] = src[i] ^ (key >>> (24 - 8 * i));
  const k = rotate(key, misalignment);
  const word = wordOf(k);
  const words = (length - i) >>> 2;
  const from = new Int32Array(src.buffer, src.byteOffset + i, words);
  const to = new Int32Array(dst.buffer, dst.byteOffset + dstStart + i, words);
  let w = 0; // unrolled and signed as in applyMask
  for (; w + 8 <= words; w += 8) {
    to[w] = from[w] ^ word;
    to[w + 1] = from[w + 1] ^ word;
    to[w + 2] = from[w + 2] ^ word;
    to[w + 3] = from[w + 3] ^ word;
    to[w + 4] = from[w + 4] ^ word;
    to[w + 5] = from[w + 5] ^ word;
    to[w + 6] = from[w + 6] ^ word;
    to[w + 7] = from[w + 7] ^ word;
  }
  for (; w < words; w++) to[w] = from[w] ^ word;
  i += words << 2;
  for (let m = 0; i < length; m++, i++) dst[dstStart + i] = src[i] ^ (k >>> (24 - 8 * (m & 3)));
}

/** The key as seen from `by` octets further into the payload. */
function rotate(key: number, by: number): number {
  const bits = (by & 3) * 8;
  return bits === 0 ? key : ((key << bits) | (key >>> (32 - bits))) >>> 0;
}

const byteSwap = (k: number): number => (((k & 0xff) << 24) | ((k & 0xff00) << 8) | ((k >>> 8) & 0xff00) | (k >>> 24)) >>> 0;

/** The key as one signed 32-bit word in memory order, for Int32Array views. */
const wordOf = (k: number): number => (LITTLE_ENDIAN ? byteSwap(k) : k) | 0;

/** The 4 key octets as the number `applyMask` takes. */
export const maskKeyFromBytes = (key: Uint8Array): number => ((key[0] << 24) | (key[1] << 16) | (key[2] << 8) | key[3]) >>> 0;

const POOL_SIZE = 8192;
let pool: Buffer | null = null;
let poolOffset = POOL_SIZE;

/**
 * A fresh random masking key (§5.3: "derived from a strong source of
 * entropy"), cut from a pool refilled 2,048 keys at a time so a frame costs
 * no allocation and no syscall.
 */
export function randomMaskKey(): number {
  if (poolOffset === POOL_SIZE) {
    pool = randomFillSync(Buffer.allocUnsafe(POOL_SIZE));
    poolOffset = 0;
  }
  const key = pool!.readUInt32BE(poolOffset);
  poolOffset += 4;
  return key;
}
