/**
 * The bytes received but not yet parsed, kept as the list of chunks the
 * socket delivered. Reads hand out views into a chunk when the bytes lie in
 * one (the common case) and copy only when they span chunks.
 */
export class ChunkReader {
  private chunks: Buffer[] = [];
  /** Bytes of chunks[0] already consumed. */
  private offset = 0;
  length = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** Byte `i` of the unread data; the caller checks `i < length`. */
  peek(i: number): number {
    i += this.offset;
    const first = this.chunks[0];
    if (i < first.length) return first[i];
    let index = 0;
    while (i >= this.chunks[index].length) i -= this.chunks[index++].length;
    return this.chunks[index][i];
  }

  /** Drops the next `n` bytes (`n <= length`) without creating views. */
  skip(n: number): void {
    while (n > 0) n -= this.advance(n);
  }

  /** Removes and returns the next `n` bytes (`n <= length`): a view when they lie in one chunk. */
  take(n: number): Buffer {
    if (n <= this.chunks[0].length - this.offset) return this.takeAtMost(n);
    const out = Buffer.allocUnsafe(n);
    for (let filled = 0; filled < n;) {
      const start = this.offset;
      const chunk = this.chunks[0];
      const count = this.advance(n - filled);
      chunk.copy(out, filled, start, start + count);
      filled += count;
    }
    return out;
  }

  /**
   * Removes and returns up to `n` bytes from the first chunk, never copying:
   * payloads are consumed piece by piece as they arrive.
   */
  takeAtMost(n: number): Buffer {
    const start = this.offset;
    const chunk = this.chunks[0];
    return chunk.subarray(start, start + this.advance(n));
  }

  /** Consumes up to `n` bytes of the first chunk; returns how many. */
  private advance(n: number): number {
    const first = this.chunks[0];
    const count = Math.min(n, first.length - this.offset);
    this.length -= count;
    if (this.offset + count === first.length) {
      this.chunks.shift();
      this.offset = 0;
    } else {
      this.offset += count;
    }
    return count;
  }

  /** Drops everything, e.g. once the connection is closed (§7.1.7). */
  clear(): void {
    this.chunks = [];
    this.offset = 0;
    this.length = 0;
  }
}
