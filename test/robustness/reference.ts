/**
 * A deliberately plain RFC 6455 / RFC 7692 receiver for differential
 * fuzzing: it reads the whole input at once, frame by frame, with none of
 * the engine's chunk handling, views or block copies. For any input the
 * engine, fed the same bytes in any chunking, must report the same events
 * and the same close code.
 */
import { constants as bufferConstants } from 'node:buffer';
import { constants, inflateRawSync } from 'node:zlib';

export type Side = 'client' | 'server';

export type Outcome =
  | { type: 'text'; data: string }
  | { type: 'binary'; data: Buffer }
  | { type: 'ping'; data: Buffer }
  | { type: 'pong'; data: Buffer }
  /** A Close frame received (clean) or a failure (§7.1.7); 1006 when the input just ended. */
  | { type: 'close'; code: number; clean: boolean };

export interface ReferenceOptions {
  side: Side;
  maxMessageSize: number;
  /** permessage-deflate negotiated; `noContextTakeover` when the peer resets its compressor per message. */
  deflate: { noContextTakeover: boolean } | null;
}

const WINDOW = 32 * 1024;
const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** Decodes `input` as the peer of `options.side` sent it, to the first close or failure. */
export function referenceDecode(input: Buffer, options: ReferenceOptions): Outcome[] {
  const events: Outcome[] = [];
  const fail = (code: number): Outcome[] => {
    events.push({ type: 'close', code, clean: false });
    return events;
  };
  let history = Buffer.alloc(0);
  let message: { opcode: number; compressed: boolean; parts: Buffer[]; size: number; utf8: Utf8Prefix } | null = null;
  let pos = 0;
  for (;;) {
    if (input.length - pos < 2) return events;
    const b0 = input[pos];
    const b1 = input[pos + 1];
    const masked = (b1 & 0x80) !== 0;
    const length7 = b1 & 0x7f;
    const extended = length7 === 126 ? 2 : length7 === 127 ? 8 : 0;
    const headerLength = 2 + extended + (masked ? 4 : 0);
    if (input.length - pos < headerLength) return events;

    const fin = (b0 & 0x80) !== 0;
    const rsv1 = (b0 & 0x40) !== 0;
    const opcode = b0 & 0x0f;
    const control = opcode >= 8;
    if ((b0 & 0x30) !== 0) return fail(1002);
    if (![0, 1, 2, 8, 9, 10].includes(opcode)) return fail(1002);
    if (control && (!fin || length7 > 125)) return fail(1002);
    let length = length7;
    if (length7 === 126) length = input.readUInt16BE(pos + 2);
    if (length7 === 127) {
      const high = input.readUInt32BE(pos + 2);
      if (high >= 0x80000000) return fail(1002);
      length = high * 2 ** 32 + input.readUInt32BE(pos + 6);
    }
    if (masked !== (options.side === 'server')) return fail(1002);
    if (rsv1 && (options.deflate === null || control || opcode === 0)) return fail(1002);
    if (!control) {
      if ((opcode === 0) !== (message !== null)) return fail(1002);
      if ((message?.size ?? 0) + length > options.maxMessageSize) return fail(1009);
    }

    const start = pos + headerLength;
    const available = Math.min(length, input.length - start);
    const payload = Buffer.from(input.subarray(start, start + available));
    if (masked) for (let i = 0; i < payload.length; i++) payload[i] ^= input[start - 4 + (i & 3)];

    if (control) {
      if (available < length) return events;
      if (opcode === 9) events.push({ type: 'ping', data: payload });
      else if (opcode === 10) events.push({ type: 'pong', data: payload });
      else return closeFrame(payload, events);
    } else {
      message ??= { opcode, compressed: rsv1, parts: [], size: 0, utf8: new Utf8Prefix() };
      message.parts.push(payload);
      // Uncompressed text fails on the first byte that cannot begin valid UTF-8.
      if (message.opcode === 1 && !message.compressed && !message.utf8.feed(payload)) return fail(1007);
      if (available < length) return events;
      message.size += length;
      if (fin) {
        let data = Buffer.concat(message.parts);
        if (message.compressed) {
          try {
            data = inflateRawSync(Buffer.concat([data, TRAILER]), {
              finishFlush: constants.Z_SYNC_FLUSH,
              dictionary: history.length > 0 ? history : undefined,
              maxOutputLength: Math.min(Math.max(1, options.maxMessageSize), bufferConstants.MAX_LENGTH),
            });
          } catch (error) {
            return fail((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' ? 1009 : 1007);
          }
          if (!options.deflate!.noContextTakeover) history = Buffer.concat([history, data]).subarray(-WINDOW);
        }
        if (message.opcode === 1) {
          const utf8 = new Utf8Prefix();
          if (!utf8.feed(data) || !utf8.complete) return fail(1007);
          events.push({ type: 'text', data: data.toString('utf8') });
        } else {
          events.push({ type: 'binary', data });
        }
        message = null;
      }
    }
    pos = start + length;
  }
}

/** §5.5.1, §7.4: a Close frame ends decoding, with its code or a failure. */
function closeFrame(body: Buffer, events: Outcome[]): Outcome[] {
  let code = 1005;
  if (body.length === 1) code = -1002;
  if (body.length >= 2) {
    code = body.readUInt16BE(0);
    const allowed = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
    if (!allowed) code = -1002;
    else {
      const utf8 = new Utf8Prefix();
      if (!utf8.feed(body.subarray(2)) || !utf8.complete) code = -1007;
    }
  }
  events.push(code < 0 ? { type: 'close', code: -code, clean: false } : { type: 'close', code, clean: true });
  return events;
}

/** UTF-8 checked byte by byte against Unicode's table of well-formed sequences (Table 3-7). */
export class Utf8Prefix {
  private need = 0;
  private low = 0x80;
  private high = 0xbf;

  get complete(): boolean {
    return this.need === 0;
  }

  /** False as soon as a byte makes the text so far impossible to complete. */
  feed(bytes: Uint8Array): boolean {
    for (const b of bytes) {
      if (this.need === 0) {
        if (b < 0x80) continue;
        if (b >= 0xc2 && b <= 0xdf) this.need = 1;
        else if (b === 0xe0) [this.need, this.low] = [2, 0xa0];
        else if (b === 0xed) [this.need, this.high] = [2, 0x9f];
        else if (b >= 0xe1 && b <= 0xef) this.need = 2;
        else if (b === 0xf0) [this.need, this.low] = [3, 0x90];
        else if (b === 0xf4) [this.need, this.high] = [3, 0x8f];
        else if (b >= 0xf1 && b <= 0xf3) this.need = 3;
        else return false;
      } else {
        if (b < this.low || b > this.high) return false;
        this.low = 0x80;
        this.high = 0xbf;
        this.need--;
      }
    }
    return true;
  }
}
