/**
 * The wire log and statistics of one case, in the tuple shapes Autobahn's
 * reports use ("RO", "TO", "RF", "TF", "CT", "KL", "TI" ... entries), so
 * tools written for its per-case JSON read ours.
 */
export type WireLogEntry = Array<unknown>;

/** Payloads are shown up to this many octets. */
const MAX_SHOWN = 64;
const ELLIPSIS = ' ...';

/** Hex of the first octets, with " ..." when cut. */
export function hexPreview(data: Uint8Array, max = MAX_SHOWN): string {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.length);
  return buf.length > max - ELLIPSIS.length ? `${buf.toString('hex', 0, max)}${ELLIPSIS}` : buf.toString('hex');
}

/** Text when the shown octets are valid UTF-8, otherwise "0x" and hex. */
export function textPreview(data: Uint8Array, max = MAX_SHOWN): string {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.length);
  const cut = buf.length > max - ELLIPSIS.length;
  const shown = cut ? Buffer.concat([buf.subarray(0, max), Buffer.from(ELLIPSIS)]) : buf;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(shown);
  } catch {
    return `0x${hexPreview(buf, max)}`;
  }
}

export class WireLog {
  readonly entries: WireLogEntry[] = [];
  enabled = true;
  readonly rxOctetStats: Record<number, number> = {};
  readonly txOctetStats: Record<number, number> = {};
  readonly rxFrameStats: Record<number, number> = {};
  readonly txFrameStats: Record<number, number> = {};

  /** Turns logging of octets and frames on or off; timers are always logged. */
  enable(on: boolean): void {
    if (on !== this.enabled) {
      this.enabled = on;
      this.entries.push(['WLM', on]);
    }
  }

  rxOctets(data: Buffer): void {
    count(this.rxOctetStats, data.length);
    if (this.enabled) this.entries.push(['RO', [data.length, hexPreview(data)]]);
  }

  txOctets(data: Buffer, sync: boolean): void {
    count(this.txOctetStats, data.length);
    if (this.enabled) this.entries.push(['TO', [data.length, hexPreview(data)], sync]);
  }

  rxFrame(frame: { opcode: number; fin: boolean; rsv: number; maskKey: Buffer | null }, payload: () => Buffer, length: number): void {
    count(this.rxFrameStats, frame.opcode);
    if (this.enabled) {
      this.entries.push(['RF', [length, textPreview(payload())], frame.opcode, frame.fin, frame.rsv, frame.maskKey !== null, frame.maskKey?.toString('hex') ?? null]);
    }
  }

  txFrame(frame: { opcode: number; fin: boolean; rsv: number; maskKey: Buffer | null }, payload: Buffer, repeatLength: number | null, chopsize: number | null, sync: boolean): void {
    count(this.txFrameStats, frame.opcode);
    if (this.enabled) {
      this.entries.push(['TF', [payload.length, textPreview(payload)], frame.opcode, frame.fin, frame.rsv, frame.maskKey?.toString('hex') ?? null, repeatLength, chopsize, sync]);
    }
  }

  /** A timer entry ("CT", "KL", "TI") or its firing ("CTE", "KLE", "TIE"). */
  timer(...entry: unknown[]): void {
    this.entries.push(entry);
  }
}

function count(stats: Record<number, number>, key: number): void {
  stats[key] = (stats[key] ?? 0) + 1;
}
