import { PerMessageDeflate, type DeflateParams } from '../../protocol/deflate.js';
import { COMPRESSION_LEVEL } from '../deflate.js';
import { datasets, slice, unitCount } from './compression-data.js';

/** One message of a compression case: the octets sent, and the same compressed for the wire. */
export interface SequenceMessage {
  message: Buffer;
  compressed: Buffer;
}

const ARENA_CHUNK = 1024 * 1024;

/**
 * The messages of a compression case (slices of one dataset, in order) and
 * their compressed payloads, made once per run and shared by every case that
 * sends the same sequence under the same compression parameters: 12.x.10 and
 * 12.x.15–18 send the same 1000 slices in different frame sizes, 12.x.6–9
 * and 12.x.11–14 likewise, and 12.1 and all of 13 send the same JSON. deflate
 * is deterministic (same octets, same window, same history, same zlib: same
 * output), so the peer receives exactly what a compressor of its own
 * connection would have sent, at a fraction of the CPU: compressing was
 * most of the fuzzer's time in categories 12 and 13.
 */
export class CompressedSequence {
  private readonly messages: SequenceMessage[] = [];
  private readonly codec: PerMessageDeflate;
  private nextUnit = 0;
  private arena = Buffer.alloc(0);
  private used = 0;

  constructor(
    private readonly dataset: number,
    private readonly size: number,
    params: DeflateParams,
  ) {
    // A codec of our own: its history follows this sequence, not any one connection.
    this.codec = new PerMessageDeflate(params, { level: COMPRESSION_LEVEL });
  }

  /**
   * A copy of `data` in the sequence's own arena: zlib's output can be a view
   * into a larger chunk, and thousands of buffers held for minutes made the
   * garbage collector cost more than the compression saved.
   */
  private keep(data: Buffer): Buffer {
    if (this.arena.length - this.used < data.length) {
      this.arena = Buffer.allocUnsafe(Math.max(ARENA_CHUNK, data.length));
      this.used = 0;
    }
    const kept = this.arena.subarray(this.used, this.used + data.length);
    data.copy(kept);
    this.used += data.length;
    return kept;
  }

  /** Message `index` (from 0), compressed on first use. */
  at(index: number): SequenceMessage {
    while (this.messages.length <= index) {
      const data = datasets()[this.dataset];
      const message = slice(data, this.nextUnit, this.size);
      this.nextUnit = (this.nextUnit + this.size) % unitCount(data);
      this.messages.push({ message, compressed: this.keep(this.codec.compress(message)) });
    }
    return this.messages[index];
  }
}

/**
 * Memory the shared sequences may take, in octets, reserved as messages
 * count × size (compressed data is rarely bigger): enough for all sizes of
 * one dataset (about 260 MB at most, the incompressible one), so every
 * repeat within a sub-category and across 12.1 and 13 is a hit.
 */
const BUDGET = 272 * 1024 * 1024;

/**
 * The shared sequences of the run. Cases run in id order, so when a case of
 * another dataset starts, the previous dataset's sequences are let go (a
 * case still playing keeps its own); going back to JSON for category 13
 * after 12.5 compresses JSON once more, which is cheaper than holding it.
 */
export class SequenceCache {
  private readonly sequences = new Map<string, CompressedSequence>();
  private dataset = -1;
  private reserved = 0;

  constructor(private readonly budget = BUDGET) {}

  /**
   * The sequence of `count` messages of `size` units of dataset `dataset`
   * compressed with `params`; null when the budget has no room for it (the
   * case then compresses on its own connection, as before).
   */
  get(dataset: number, size: number, count: number, params: DeflateParams): CompressedSequence | null {
    if (dataset !== this.dataset) {
      this.sequences.clear();
      this.reserved = 0;
      this.dataset = dataset;
    }
    const key = `${size}/${params.sendWindowBits}/${params.sendNoContextTakeover}`;
    let sequence = this.sequences.get(key);
    if (sequence === undefined) {
      const data = datasets()[dataset];
      const octets = Math.ceil(count * (size * (data.bytes.length / unitCount(data)) + 64));
      if (this.reserved + octets > this.budget) return null;
      this.reserved += octets;
      sequence = new CompressedSequence(dataset, size, params);
      this.sequences.set(key, sequence);
    }
    return sequence;
  }
}
