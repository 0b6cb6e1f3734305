/**
 * A small seeded generator (mulberry32) so every fuzz input can be rebuilt
 * from (seed, index) alone: a failure report names both and `--replay`
 * reproduces it without keeping the input.
 */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** The generator for input `index` of a run seeded with `seed`. */
  static forInput(seed: number, index: number): Random {
    return new Random(Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35));
  }

  /** A uniform 32-bit unsigned integer. */
  uint32(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return Math.floor((this.uint32() / 0x1_0000_0000) * n);
  }

  /** An integer in [min, max]. */
  between(min: number, max: number): number {
    return min + this.below(max - min + 1);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.uint32() / 0x1_0000_0000 < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)];
  }

  /** Picks among [weight, value] pairs in proportion to the weights. */
  weighted<T>(choices: ReadonlyArray<readonly [number, T]>): T {
    let total = 0;
    for (const [weight] of choices) total += weight;
    let r = this.below(total);
    for (const [weight, value] of choices) {
      if (r < weight) return value;
      r -= weight;
    }
    return choices[choices.length - 1][1];
  }

  bytes(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i += 4) {
      const word = this.uint32();
      out[i] = word;
      if (i + 1 < n) out[i + 1] = word >>> 8;
      if (i + 2 < n) out[i + 2] = word >>> 16;
      if (i + 3 < n) out[i + 3] = word >>> 24;
    }
    return out;
  }

  /**
   * Splits `data` the way a socket might: one piece, single bytes, or
   * random cuts (biased towards small pieces so every parser state is hit).
   * Long inputs get at most a few hundred pieces, so they stay cheap.
   */
  chunks(data: Buffer): Buffer[] {
    const style = this.below(4);
    if (style === 0 || data.length < 2) return [data];
    if (style === 1 && data.length <= 1024) return Array.from(data, (_, i) => data.subarray(i, i + 1));
    const out: Buffer[] = [];
    const small = Math.max(4, data.length >> 8);
    for (let i = 0; i < data.length;) {
      const n = style !== 3 ? this.between(1, small) : this.between(1, Math.max(1, data.length >> 1));
      out.push(data.subarray(i, i + n));
      i += n;
    }
    return out;
  }

  /** A few byte-level mutations: flips, overwrites, insertions, deletions, duplications, truncation. */
  mutate(data: Buffer): Buffer {
    let out = Buffer.from(data);
    const rounds = this.between(1, 4);
    for (let r = 0; r < rounds; r++) {
      const at = out.length === 0 ? 0 : this.below(out.length);
      switch (this.below(6)) {
        case 0:
          if (out.length > 0) out[at] ^= 1 << this.below(8);
          break;
        case 1:
          if (out.length > 0) out[at] = this.pick(INTERESTING_BYTES);
          break;
        case 2:
          out = Buffer.concat([out.subarray(0, at), this.bytes(this.between(1, 8)), out.subarray(at)]);
          break;
        case 3:
          out = Buffer.concat([out.subarray(0, at), out.subarray(at + this.between(1, 8))]);
          break;
        case 4: {
          const piece = out.subarray(at, at + this.between(1, 32));
          out = Buffer.concat([out.subarray(0, at), piece, out.subarray(at)]);
          break;
        }
        default:
          out = out.subarray(0, at);
      }
    }
    return out;
  }
}

const INTERESTING_BYTES = [0x00, 0x01, 0x7e, 0x7f, 0x80, 0x81, 0x82, 0x88, 0x89, 0x8a, 0xc1, 0xfe, 0xff, 0x0d, 0x0a, 0x3a, 0x20];
