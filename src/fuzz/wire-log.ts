/**
 * The wire log and statistics of one case, in the tuple shapes Autobahn's
 * reports use ("RO", "TO", "RF", "TF", "CT", "KL", "TI" ... entries), so
 * tools written for its per-case JSON read ours.
 */
export type WireLogEntry = Array<unknown>;

/** Payloads are shown up to this many octets. */
const MAX_SHOWN = 64;
const ELLIPSIS = ' ...';

/**
 * How much of a case's log is kept: a peer that floods frames must not
 * fill our memory or the report. The first `headOctets` and the last
 * `tailOctets` are kept; what lies between is counted in one "OMITTED"
 * entry. An entry counts as the octets it shows (at most 64) plus
 * ENTRY_OVERHEAD, so a flood of empty frames is bounded as well.
 */
export interface WireLogLimits {
  headOctets: number;
  tailOctets: number;
}

export const DEFAULT_WIRE_LOG_LIMITS: WireLogLimits = { headOctets: 64 * 1024, tailOctets: 64 * 1024 };

/** What an entry costs beyond the octets it shows: its tuple, tag and numbers. */
const ENTRY_OVERHEAD = 64;

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
  enabled = true;
  readonly rxOctetStats: Record<number, number> = {};
  readonly txOctetStats: Record<number, number> = {};
  readonly rxFrameStats: Record<number, number> = {};
  readonly txFrameStats: Record<number, number> = {};
  /** Entries left out between head and tail, and the wire octets they recorded. */
  omittedEntries = 0;
  omittedOctets = 0;

  private readonly head: WireLogEntry[] = [];
  private headCost = 0;
  private headFull = false;
  /** The tail from `tailStart` on; dropped entries are cut off in batches, not shifted one by one. */
  private tail: WireLogEntry[] = [];
  private tailCosts: number[] = [];
  private tailOctets: number[] = [];
  private tailStart = 0;
  private tailCost = 0;

  constructor(private readonly limits: WireLogLimits = DEFAULT_WIRE_LOG_LIMITS) {}

  /** The kept entries in order, with an ["OMITTED", entries, octets] entry where some were left out. */
  get entries(): WireLogEntry[] {
    const tail = this.tail.slice(this.tailStart);
    return this.omittedEntries === 0 ? [...this.head, ...tail] : [...this.head, ['OMITTED', this.omittedEntries, this.omittedOctets], ...tail];
  }

  /** Turns logging of octets and frames on or off; timers are always logged. */
  enable(on: boolean): void {
    if (on !== this.enabled) {
      this.enabled = on;
      this.add(['WLM', on], 0, 0);
    }
  }

  rxOctets(data: Buffer): void {
    count(this.rxOctetStats, data.length);
    if (this.enabled) this.add(['RO', [data.length, hexPreview(data)]], data.length, data.length);
  }

  txOctets(data: Buffer, sync: boolean): void {
    count(this.txOctetStats, data.length);
    if (this.enabled) this.add(['TO', [data.length, hexPreview(data)], sync], data.length, data.length);
  }

  rxFrame(frame: { opcode: number; fin: boolean; rsv: number; maskKey: Buffer | null }, payload: () => Buffer, length: number): void {
    count(this.rxFrameStats, frame.opcode);
    if (this.enabled) {
      this.add(['RF', [length, textPreview(payload())], frame.opcode, frame.fin, frame.rsv, frame.maskKey !== null, frame.maskKey?.toString('hex') ?? null], length, 0);
    }
  }

  txFrame(frame: { opcode: number; fin: boolean; rsv: number; maskKey: Buffer | null }, payload: Buffer, repeatLength: number | null, chopsize: number | null, sync: boolean): void {
    count(this.txFrameStats, frame.opcode);
    if (this.enabled) {
      this.add(['TF', [payload.length, textPreview(payload)], frame.opcode, frame.fin, frame.rsv, frame.maskKey?.toString('hex') ?? null, repeatLength, chopsize, sync], payload.length, 0);
    }
  }

  /** A timer entry ("CT", "KL", "TI") or its firing ("CTE", "KLE", "TIE"). */
  timer(...entry: unknown[]): void {
    this.add(entry, 0, 0);
  }

  /** `shown`: octets the entry shows (capped at 64); `wire`: octets of the connection it records, for the omitted count. */
  private add(entry: WireLogEntry, shown: number, wire: number): void {
    const cost = Math.min(shown, MAX_SHOWN) + ENTRY_OVERHEAD;
    if (!this.headFull) {
      if (this.headCost + cost <= this.limits.headOctets) {
        this.head.push(entry);
        this.headCost += cost;
        return;
      }
      this.headFull = true;
    }
    this.tail.push(entry);
    this.tailCosts.push(cost);
    this.tailOctets.push(wire);
    this.tailCost += cost;
    while (this.tailCost > this.limits.tailOctets && this.tailStart < this.tail.length) {
      this.tailCost -= this.tailCosts[this.tailStart];
      this.omittedEntries++;
      this.omittedOctets += this.tailOctets[this.tailStart];
      this.tailStart++;
    }
    // Cut the dropped front off once it is as long as what is kept, so the arrays stay bounded.
    if (this.tailStart > 1024 && this.tailStart * 2 > this.tail.length) {
      this.tail = this.tail.slice(this.tailStart);
      this.tailCosts = this.tailCosts.slice(this.tailStart);
      this.tailOctets = this.tailOctets.slice(this.tailStart);
      this.tailStart = 0;
    }
  }
}

function count(stats: Record<number, number>, key: number): void {
  stats[key] = (stats[key] ?? 0) + 1;
}
