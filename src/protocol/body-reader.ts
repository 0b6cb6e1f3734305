import { HandshakeError } from './handshake.js';

/** How much of a refusal's body is kept (python-websockets keeps the response; `ws` gives none). */
export const MAX_REFUSAL_BODY = 4096;

/** Statuses that never carry a body (RFC 9110 §6.4.1). */
const bodiless = (status: number): boolean => (status >= 100 && status < 200) || status === 204 || status === 304;

/**
 * Collects up to MAX_REFUSAL_BODY bytes of the body of a non-101 answer
 * (RFC 9112 §6.3): Content-Length bytes, chunked until the last chunk, or
 * everything until the server closes. It is complete when it has the whole
 * body or its first 4 KiB, whichever comes first.
 */
export class BodyReader {
  private readonly parts: Buffer[] = [];
  private size = 0;
  /** Bytes still expected for a Content-Length body; Infinity when the body runs until close. */
  private remaining: number;
  private readonly chunked: ChunkedDecoder | null;

  constructor(status: number, headers: Map<string, string>) {
    const encoding = headers.get('transfer-encoding');
    const length = headers.get('content-length');
    this.chunked = null;
    if (bodiless(status)) {
      this.remaining = 0;
    } else if (encoding !== undefined && /(?:^|,)\s*chunked\s*$/i.test(encoding)) {
      this.remaining = Infinity;
      this.chunked = new ChunkedDecoder();
    } else if (length !== undefined && /^\d+$/.test(length)) {
      this.remaining = Number(length);
    } else {
      this.remaining = Infinity;
    }
  }

  /** Takes more bytes; returns true once the body (or its first 4 KiB) is complete. */
  push(chunk: Buffer): boolean {
    if (this.chunked !== null) {
      const finished = this.chunked.push(chunk, (data) => this.keep(data));
      return finished || this.size >= MAX_REFUSAL_BODY;
    }
    if (chunk.length > 0 && this.remaining > 0) {
      const data = chunk.subarray(0, Math.min(chunk.length, this.remaining));
      this.remaining -= data.length;
      this.keep(data);
    }
    return this.remaining === 0 || this.size >= MAX_REFUSAL_BODY;
  }

  body(): Buffer {
    return Buffer.concat(this.parts, this.size);
  }

  private keep(data: Buffer): void {
    const room = MAX_REFUSAL_BODY - this.size;
    if (room <= 0 || data.length === 0) return;
    const piece = data.length > room ? data.subarray(0, room) : data;
    // Copied: the socket's chunk may be much larger than what we keep of it.
    this.parts.push(Buffer.from(piece));
    this.size += piece.length;
  }
}

const enum Chunk { SIZE, EXTENSION, SIZE_LF, DATA, DATA_CR, DATA_LF }

/**
 * The chunked transfer coding (RFC 9112 §7.1), decoded as bytes arrive;
 * trailers are not read. Its framing (sizes, extensions, CRLFs) is bounded
 * as the data is: an endless chunk extension (CVE-2024-22019 in Node) would
 * otherwise be read until the connect timeout.
 */
class ChunkedDecoder {
  private state = Chunk.SIZE;
  private size = 0;
  private digits = 0;
  /** Bytes of framing read so far. */
  private framing = 0;

  /**
   * Hands decoded data to `onData`; returns true at the last (zero-size)
   * chunk, or once MAX_REFUSAL_BODY bytes of framing have come: what was
   * decoded by then is all that will be.
   */
  push(chunk: Buffer, onData: (data: Buffer) => void): boolean {
    let i = 0;
    while (i < chunk.length) {
      if (this.state !== Chunk.DATA && ++this.framing > MAX_REFUSAL_BODY) return true;
      if (this.state === Chunk.DATA) {
        const count = Math.min(this.size, chunk.length - i);
        onData(chunk.subarray(i, i + count));
        i += count;
        this.size -= count;
        if (this.size === 0) this.state = Chunk.DATA_CR;
        continue;
      }
      const byte = chunk[i++];
      switch (this.state) {
        case Chunk.SIZE: {
          const digit = hexValue(byte);
          if (digit >= 0 && this.digits < 8) {
            this.size = this.size * 16 + digit;
            this.digits++;
          } else if (this.digits > 0 && (byte === 0x3b || byte === 0x20 || byte === 0x09)) { // ";" starts chunk-ext
            this.state = Chunk.EXTENSION;
          } else if (this.digits > 0 && byte === 0x0d) {
            this.state = Chunk.SIZE_LF;
          } else {
            throw new HandshakeError('invalid chunk size in the response body (RFC 9112 §7.1)');
          }
          break;
        }
        case Chunk.EXTENSION:
          if (byte === 0x0d) this.state = Chunk.SIZE_LF;
          break;
        case Chunk.SIZE_LF:
          if (byte !== 0x0a) throw new HandshakeError('invalid chunk size line in the response body (RFC 9112 §7.1)');
          if (this.size === 0) return true;
          this.state = Chunk.DATA;
          break;
        case Chunk.DATA_CR:
          if (byte !== 0x0d) throw new HandshakeError('chunk data not followed by CRLF (RFC 9112 §7.1)');
          this.state = Chunk.DATA_LF;
          break;
        case Chunk.DATA_LF:
          if (byte !== 0x0a) throw new HandshakeError('chunk data not followed by CRLF (RFC 9112 §7.1)');
          this.state = Chunk.SIZE;
          this.size = 0;
          this.digits = 0;
          break;
      }
    }
    return false;
  }
}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}
