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
    this.length -= n;
    while (n > 0) {
      const available = this.chunks[0].length - this.offset;
      if (n < available) {
        this.offset += n;
        return;
      }
      n -= available;
      this.chunks.shift();
      this.offset = 0;
    }
  }

  /** Removes and returns the next `n` bytes (`n <= length`). */
  take(n: number): Buffer {
    this.length -= n;
    const first = this.chunks[0];
    const available = first.length - this.offset;
    if (n <= available) {
      const view = first.subarray(this.offset, this.offset + n);
      if (n === available) {
        this.chunks.shift();
        this.offset = 0;
      } else {
        this.offset += n;
      }
      return view;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0];
      const count = Math.min(chunk.length - this.offset, n - filled);
      chunk.copy(out, filled, this.offset, this.offset + count);
      filled += count;
      if (this.offset + count === chunk.length) {
        this.chunks.shift();
        this.offset = 0;
      } else {
        this.offset += count;
      }
    }
    return out;
  }

  /**
   * Removes and returns up to `n` bytes from the first chunk, never copying:
   * payloads are consumed piece by piece as they arrive.
   */
  takeAtMost(n: number): Buffer {
    const first = this.chunks[0];
    const count = Math.min(n, first.length - this.offset);
    const view = first.subarray(this.offset, this.offset + count);
    this.length -= count;
    if (this.offset + count === first.length) {
      this.chunks.shift();
      this.offset = 0;
    } else {
      this.offset += count;
    }
    return view;
  }

  /** Drops everything, e.g. once the connection is closed (§7.1.7). */
  clear(): void {
    this.chunks = [];
    this.offset = 0;
    this.length = 0;
  }
}
