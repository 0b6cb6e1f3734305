/**
 * RESP2, the Redis protocol (https://redis.io/docs/reference/protocol-spec/),
 * sans-I/O: commands encoded as arrays of bulk strings, replies decoded
 * from chunks as they arrive. Bulk strings stay bytes (binary-safe).
 */

export type RespValue = string | number | Buffer | null | RespError | RespValue[];

/** An error reply ("-ERR ..."): a value, not a throw; the caller decides. */
export class RespError {
  constructor(readonly message: string) {}
}

const CRLF = Buffer.from('\r\n');

/** One command as RESP: `*N\r\n` then `$len\r\n<bytes>\r\n` per argument. */
export function encodeCommand(args: ReadonlyArray<string | Uint8Array>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = typeof arg === 'string' ? Buffer.from(arg, 'utf8') : Buffer.from(arg.buffer, arg.byteOffset, arg.byteLength);
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, CRLF);
  }
  return Buffer.concat(parts);
}

/** Thrown by the reader on bytes that are not RESP2, or a reply over its size limit: the connection must be dropped. */
export class RespProtocolError extends Error {
  override name = 'RespProtocolError';
}

/** Not enough bytes yet for the next reply. */
const INCOMPLETE = Symbol('incomplete');

/**
 * Decodes replies from a byte stream. `push` takes each chunk and returns
 * the replies it completes. A reply that arrives in pieces is parsed again
 * from its start once enough bytes are there: `needed` keeps a long bulk
 * string from being rescanned for every chunk.
 */
export class RespReader {
  private buffer: Buffer = Buffer.alloc(0);
  private offset = 0;
  /** Bytes the buffer must hold before parsing is worth trying again. */
  private needed = 0;

  constructor(private readonly maxReplySize: number) {}

  push(chunk: Buffer): RespValue[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const replies: RespValue[] = [];
    if (this.buffer.length < this.needed) return replies;
    this.needed = 0;
    for (;;) {
      this.offset = 0;
      const value = this.parse();
      if (value === INCOMPLETE) break;
      replies.push(value);
      this.buffer = this.buffer.subarray(this.offset);
      if (this.buffer.length === 0) break;
    }
    // An unfinished reply of many small elements, whose size no header announces, must not grow without bound either.
    this.checkSize(this.buffer.length);
    return replies;
  }

  private checkSize(size: number): void {
    if (size > this.maxReplySize + 64) throw new RespProtocolError(`a Redis reply is over the limit of ${this.maxReplySize} bytes`);
  }

  private line(): string | typeof INCOMPLETE {
    const end = this.buffer.indexOf(CRLF, this.offset);
    if (end === -1) {
      if (this.buffer.length - this.offset > 1024) throw new RespProtocolError('a RESP line longer than 1024 bytes');
      return INCOMPLETE;
    }
    const text = this.buffer.toString('latin1', this.offset, end);
    this.offset = end + 2;
    return text;
  }

  private parse(): RespValue | typeof INCOMPLETE {
    if (this.offset >= this.buffer.length) return INCOMPLETE;
    const type = this.buffer[this.offset++];
    const line = this.line();
    if (line === INCOMPLETE) return INCOMPLETE;
    switch (type) {
      case 0x2b: // '+'
        return line;
      case 0x2d: // '-'
        return new RespError(line);
      case 0x3a: // ':'
        return integer(line);
      case 0x24: { // '$'
        const length = integer(line);
        if (length === -1) return null;
        if (length < 0) throw new RespProtocolError(`bad bulk length ${line}`);
        this.checkSize(length);
        const end = this.offset + length;
        if (this.buffer.length < end + 2) {
          this.needed = end + 2;
          return INCOMPLETE;
        }
        if (this.buffer[end] !== 0x0d || this.buffer[end + 1] !== 0x0a) throw new RespProtocolError('bulk string not followed by CRLF');
        // A copy: the reply outlives the chunk it came in, which may be large.
        const bytes = Buffer.from(this.buffer.subarray(this.offset, end));
        this.offset = end + 2;
        return bytes;
      }
      case 0x2a: { // '*'
        const count = integer(line);
        if (count === -1) return null;
        if (count < 0 || count > 1_000_000) throw new RespProtocolError(`bad array length ${line}`);
        const items: RespValue[] = [];
        for (let i = 0; i < count; i++) {
          const item = this.parse();
          if (item === INCOMPLETE) return INCOMPLETE;
          items.push(item);
        }
        return items;
      }
      default:
        throw new RespProtocolError(`not a RESP2 reply (type byte 0x${type.toString(16).padStart(2, '0')})`);
    }
  }
}

function integer(line: string): number {
  if (!/^-?\d{1,15}$/.test(line)) throw new RespProtocolError(`bad RESP integer ${JSON.stringify(line.slice(0, 20))}`);
  return Number(line);
}
