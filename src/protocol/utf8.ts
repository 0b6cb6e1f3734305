import * as buffer from 'node:buffer';

const strictDecoder = new TextDecoder('utf-8', { fatal: true });

/** `buffer.isUtf8` for runtimes without it (it came in Node 18.14; the support table starts at 18.9). */
export function strictUtf8(bytes: Uint8Array): boolean {
  try {
    strictDecoder.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** `buffer.isAscii` for runtimes without it (Node 18.15). */
export function asciiOnly(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] >= 0x80) return false;
  return true;
}

// Chosen once at load: where the native checks exist they cost nothing extra.
const isUtf8: (bytes: Uint8Array) => boolean = buffer.isUtf8 ?? strictUtf8;
const isAscii: (bytes: Uint8Array) => boolean = buffer.isAscii ?? asciiOnly;

/** Length of the sequence a lead byte starts; 0 for bytes that cannot lead (RFC 3629 §4). */
function sequenceLength(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead < 0xc2) return 0;
  if (lead < 0xe0) return 2;
  if (lead < 0xf0) return 3;
  if (lead < 0xf5) return 4;
  return 0;
}

/**
 * Whether bytes[start..end) — the start of a multi-byte sequence cut off by a
 * frame boundary — can still complete to a valid character. Rejecting
 * overlongs, surrogates and code points above U+10FFFF on the second byte is
 * what lets a text message fail at the frame that breaks it, not later.
 */
function isValidPrefix(bytes: Uint8Array, start: number, end: number): boolean {
  const lead = bytes[start];
  if (end - start >= sequenceLength(lead)) return false;
  for (let i = start + 1; i < end; i++) {
    let lo = 0x80;
    let hi = 0xbf;
    if (i === start + 1) {
      if (lead === 0xe0) lo = 0xa0;
      else if (lead === 0xed) hi = 0x9f;
      else if (lead === 0xf0) lo = 0x90;
      else if (lead === 0xf4) hi = 0x8f;
    }
    if (bytes[i] < lo || bytes[i] > hi) return false;
  }
  return true;
}

/**
 * Incremental UTF-8 validation across the frames of one text message
 * (RFC 6455 §8.1). Complete runs go through `buffer.isUtf8` (native, many
 * GB/s); only the up to three bytes of a character split between frames are
 * checked here.
 */
export class Utf8Validator {
  private readonly pending = new Uint8Array(4);
  private pendingLength = 0;

  /** Feeds the next piece; false as soon as the text so far cannot be UTF-8. */
  feed(chunk: Uint8Array): boolean {
    let start = 0;
    if (this.pendingLength > 0) {
      const need = sequenceLength(this.pending[0]);
      const take = Math.min(need - this.pendingLength, chunk.length);
      for (let i = 0; i < take; i++) this.pending[this.pendingLength++] = chunk[i];
      start = take;
      if (this.pendingLength < need) return isValidPrefix(this.pending, 0, this.pendingLength);
      if (!isUtf8(this.pending.subarray(0, need))) return false;
      this.pendingLength = 0;
    }
    const end = chunk.length;
    let tail = end;
    for (let i = end - 1; i >= start && i >= end - 3; i--) {
      const b = chunk[i];
      if ((b & 0xc0) !== 0x80) {
        if (b >= 0xc2 && sequenceLength(b) > end - i) tail = i;
        break;
      }
    }
    if (tail > start && !isUtf8(chunk.subarray(start, tail))) return false;
    if (tail < end) {
      if (!isValidPrefix(chunk, tail, end)) return false;
      this.pending.set(chunk.subarray(tail, end));
      this.pendingLength = end - tail;
    }
    return true;
  }

  /** Ends the message: true when it did not stop inside a character. Resets for the next. */
  finish(): boolean {
    const complete = this.pendingLength === 0;
    this.pendingLength = 0;
    return complete;
  }
}

/**
 * From this length on, pure-ASCII text is decoded as ASCII. V8's UTF-8
 * decoder keeps up below it, but falls to about 0.5 GB/s on long strings,
 * where `isAscii` plus an ASCII decode run 3–5 times faster (measured on
 * Node 20 from 64 KiB to 4 MiB; at 64 B the extra scan would cost half).
 */
export const ASCII_FAST_PATH_MIN = 32 * 1024;

/**
 * The text of a complete message's bytes, or null when they are not UTF-8
 * (§8.1). `checked` says every byte was already validated piece by piece.
 */
export function decodeText(bytes: Buffer, checked: 'validated' | 'unchecked'): string | null {
  if (bytes.length >= ASCII_FAST_PATH_MIN && isAscii(bytes)) return bytes.toString('ascii'); // ASCII is UTF-8
  if (checked === 'unchecked' && !isUtf8(bytes)) return null;
  return bytes.toString('utf8');
}

export { isUtf8 };
