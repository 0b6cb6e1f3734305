import { ChunkReader } from './reader.js';
import { FIN, encodeFrame, parseFrameHeader, type FrameHeader } from './frame.js';
import { randomMaskKey } from './mask.js';
import { Opcode, isControl } from './opcodes.js';

/**
 * Answers a server's Pings on a client connection while the connection's
 * owner is away, without taking part in anything else: fed the bytes that
 * follow a frame boundary, it skips data frames by their length and returns
 * a masked Pong (§5.5.3) for each Ping. It never decodes, validates or
 * keeps messages (the owner's `Connection` gets the same bytes afterwards
 * and does that, answering the Pings once more: unsolicited Pongs are
 * allowed, §5.5.3). It stops for good at a Close frame or anything it does
 * not understand, leaving the verdict to the owner.
 */
const EMPTY = Buffer.alloc(0);

export class PingAnswerer {
  private readonly reader = new ChunkReader();
  private header: FrameHeader | null = null;
  /** Payload bytes of a data frame still to skip. */
  private skipping = 0;
  private stopped = false;

  /** Takes the next bytes from the server; returns the Pong frames to send, in order. */
  receiveData(chunk: Buffer): Buffer[] {
    const pongs: Buffer[] = [];
    if (this.stopped) return pongs;
    this.reader.push(chunk);
    try {
      this.scan(pongs);
    } catch {
      // A frame it does not accept (parseFrameHeader throws), or a bug of ours: the owner's protocol sees the same bytes and judges.
      this.stop();
    }
    return pongs;
  }

  private scan(pongs: Buffer[]): void {
    for (;;) {
      if (this.skipping > 0) {
        const n = Math.min(this.skipping, this.reader.length);
        this.reader.skip(n);
        this.skipping -= n;
        if (this.skipping > 0) return;
      }
      if (this.header === null) {
        const header = parseFrameHeader(this.reader); // throws on what it does not understand: see receiveData
        if (header === null) return;
        if (header.masked || header.opcode === Opcode.CLOSE) {
          this.stop();
          return;
        }
        if (!isControl(header.opcode)) {
          this.skipping = header.length;
          continue;
        }
        this.header = header;
      }
      if (this.reader.length < this.header.length) return;
      const payload = this.header.length === 0 ? EMPTY : this.reader.take(this.header.length);
      if (this.header.opcode === Opcode.PING) encodeFrame(pongs, FIN | Opcode.PONG, payload, randomMaskKey()); // masking copies it
      this.header = null;
    }
  }

  private stop(): void {
    this.stopped = true;
    this.reader.clear();
  }
}
