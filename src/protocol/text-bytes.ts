/**
 * A received text message as its UTF-8 bytes, already validated (RFC 6455
 * §8.1): what the `textAsBytes` option hands out instead of a string, as
 * `ws` hands out a Buffer with `isBinary` false. A relay or an echo passes
 * it on to `send()`, which sends it as text without decoding it into a
 * string and encoding it back (two passes over every byte). The bytes are
 * the library's own and nothing else changes them.
 */
export class TextBytes {
  constructor(readonly bytes: Buffer) {}

  /** Always false: the flag `ws` passes with each message, for code written against it. */
  get isBinary(): false {
    return false;
  }

  get length(): number {
    return this.bytes.length;
  }

  /** The text, decoded on each call. */
  toString(): string {
    return this.bytes.toString('utf8');
  }
}
