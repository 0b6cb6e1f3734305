/**
 * The frame parser target: seeded streams of frames (valid, nearly valid
 * and mutated) fed to `Connection.receiveData` in random chunkings, both
 * sides, with and without permessage-deflate, checked against the
 * reference decoder: same messages, pings, pongs and close code, and the
 * replies (pongs, Close frame) a receiver owes.
 */
import { constants, deflateRawSync } from 'node:zlib';
import { TextBytes } from '../../src/protocol/text-bytes.js';
import { Connection } from '../../src/protocol/connection.js';
import { PerMessageDeflate } from '../../src/protocol/deflate.js';
import { WebSocketError } from '../../src/protocol/errors.js';
import type { Random } from './random.js';
import { referenceDecode, type Outcome, type ReferenceOptions, type Side } from './reference.js';

/** A failed check: the engine and the reference disagree, or an invariant broke. */
export class FuzzFailure extends Error {
  override name = 'FuzzFailure';
}

interface Scenario extends ReferenceOptions {
  input: Buffer;
}

const WINDOW = 32 * 1024;

/** Builds one stream as the peer of `side` would send it, most frames valid, some not. */
class StreamWriter {
  readonly out: Buffer[] = [];
  private history = Buffer.alloc(0);

  constructor(private readonly rng: Random, private readonly scenario: ReferenceOptions) {}

  frame(firstByte: number, payload: Buffer, lengthOverride?: number): void {
    const rng = this.rng;
    const length = lengthOverride ?? payload.length;
    const extended = length < 126 && !rng.chance(0.02) ? 0 : length < 0x10000 && !rng.chance(0.02) ? 2 : 8;
    const masked = (this.scenario.side === 'server') !== rng.chance(0.02);
    const header = Buffer.alloc(2 + extended + (masked ? 4 : 0));
    header[0] = firstByte;
    header[1] = (extended === 0 ? length : extended === 2 ? 126 : 127) | (masked ? 0x80 : 0);
    if (extended === 2) header.writeUInt16BE(length, 2);
    if (extended === 8) header.writeBigUInt64BE(BigInt(length), 2);
    const body = Buffer.from(payload);
    if (masked) {
      const key = rng.chance(0.1) ? Buffer.alloc(4) : rng.bytes(4);
      key.copy(header, header.length - 4);
      for (let i = 0; i < body.length; i++) body[i] ^= key[i & 3];
    }
    this.out.push(header, body);
  }

  /** A data message, maybe compressed, maybe fragmented with control frames in between. */
  message(opcode: number, data: Buffer): void {
    const rng = this.rng;
    let payload = data;
    let rsv1 = 0;
    if (this.scenario.deflate !== null && rng.chance(0.6)) {
      const context = !this.scenario.deflate.noContextTakeover && this.history.length > 0;
      const compressed = deflateRawSync(data, {
        finishFlush: constants.Z_SYNC_FLUSH,
        dictionary: context ? this.history : undefined,
        level: rng.between(0, 9),
      });
      // §7.2.1: the sender removes the sync flush's 4-octet tail; some peers leave it.
      payload = rng.chance(0.9) ? compressed.subarray(0, compressed.length - 4) : compressed;
      rsv1 = 0x40;
      if (!this.scenario.deflate.noContextTakeover) this.history = Buffer.concat([this.history, data]).subarray(-WINDOW);
    }
    const pieces = rng.chance(0.6) ? 1 : rng.between(2, 6);
    let at = 0;
    for (let i = 0; i < pieces; i++) {
      const end = i === pieces - 1 ? payload.length : rng.between(at, payload.length);
      const fin = i === pieces - 1 ? 0x80 : 0;
      this.frame(fin | (i === 0 ? rsv1 | opcode : 0), payload.subarray(at, end));
      at = end;
      if (rng.chance(0.15)) this.control();
    }
  }

  control(): void {
    const rng = this.rng;
    const opcode = rng.pick([0x89, 0x8a]);
    this.frame(opcode, rng.bytes(rng.chance(0.05) ? rng.between(126, 200) : rng.between(0, 125)));
  }

  close(): void {
    const rng = this.rng;
    const code = rng.weighted([[6, rng.pick([1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999])],
      [2, rng.pick([0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535])], [1, rng.below(65536)]]);
    const kind = rng.below(10);
    if (kind === 0) return this.frame(0x88, Buffer.alloc(0));
    if (kind === 1) return this.frame(0x88, rng.bytes(1));
    const reason = kind === 2 ? rng.bytes(rng.between(1, 20)) : Buffer.from(randomText(rng, rng.between(0, 40)));
    const body = Buffer.alloc(2);
    body.writeUInt16BE(code);
    this.frame(0x88, Buffer.concat([body, reason]).subarray(0, 125));
  }
}

/** Random text mixing 1- to 4-byte UTF-8 characters. */
export function randomText(rng: Random, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) {
    s += String.fromCodePoint(rng.weighted([[8, rng.between(0x20, 0x7e)], [2, rng.between(0x80, 0x7ff)],
      [2, rng.pick([rng.between(0x800, 0xd7ff), rng.between(0xe000, 0xffff)])], [1, rng.between(0x10000, 0x10ffff)]]));
  }
  return s;
}

/** A payload: usually small, sometimes at the 7/16/64-bit length boundaries, sometimes a run of zeros (a bomb when compressed). */
function payload(rng: Random, opcode: number): Buffer {
  const size = rng.weighted([[400, rng.between(0, 40)], [80, rng.between(120, 130)], [20, rng.between(0, 2000)],
    [1, rng.between(65530, 65540)]]);
  if (rng.chance(0.03)) return Buffer.alloc(rng.chance(0.9) ? size : rng.between(0, 300_000));
  if (opcode !== 1 || rng.chance(0.1)) return rng.bytes(size);
  const valid = Buffer.from(randomText(rng, size >> 1));
  // Cut inside a character now and then: invalid text, or a valid prefix continued by the next fragment.
  return rng.chance(0.1) ? valid.subarray(0, rng.below(valid.length + 1)) : valid;
}

function generate(rng: Random): Scenario {
  const side: Side = rng.chance(0.5) ? 'server' : 'client';
  const deflate = rng.chance(0.4) ? { noContextTakeover: rng.chance(0.3) } : null;
  const maxMessageSize = rng.weighted([[6, 64 * 1024 * 1024], [2, 65536], [1, 1000], [1, 125], [1, rng.between(1, 300)]]);
  const scenario: ReferenceOptions = { side, deflate, maxMessageSize };
  const writer = new StreamWriter(rng, scenario);
  const count = rng.between(1, 8);
  for (let i = 0; i < count; i++) {
    const kind = rng.weighted([[10, 'message'], [3, 'control'], [1, 'close'], [1, 'raw'], [1, 'huge']] as const);
    if (kind === 'message') {
      const opcode = rng.chance(0.5) ? 1 : 2;
      writer.message(opcode, payload(rng, opcode));
    } else if (kind === 'control') {
      writer.control();
    } else if (kind === 'close') {
      writer.close();
    } else if (kind === 'raw') {
      // Any first byte: reserved opcodes, RSV bits, unfinished control frames, stray continuations.
      writer.frame(rng.below(256), rng.bytes(rng.between(0, 20)));
    } else {
      // A header announcing far more than will ever come (up to 2^63 − 1 and beyond).
      const header = Buffer.alloc(10);
      header[0] = rng.pick([0x81, 0x82, 0x01, 0x02]);
      header[1] = 127 | (side === 'server' ? 0x80 : 0);
      header.writeBigUInt64BE(rng.chance(0.5) ? BigInt(rng.uint32()) * 0x1_0000_0000n + BigInt(rng.uint32()) : BigInt(rng.between(0, 1 << 26)), 2);
      writer.out.push(header, side === 'server' ? rng.bytes(4) : Buffer.alloc(0), rng.bytes(rng.between(0, 64)));
    }
  }
  let input: Buffer = Buffer.concat(writer.out);
  if (rng.chance(0.3)) input = rng.mutate(input);
  return { ...scenario, input };
}

/** Feeds one generated stream to a Connection in random chunks and checks it against the reference. */
export function fuzzFrames(rng: Random): void {
  const scenario = generate(rng);
  const expected = referenceDecode(scenario.input, scenario);
  const conn = new Connection({
    side: scenario.side,
    maxMessageSize: scenario.maxMessageSize,
    deflate: scenario.deflate === null ? null : new PerMessageDeflate({
      sendWindowBits: 15, sendNoContextTakeover: false, receiveNoContextTakeover: scenario.deflate.noContextTakeover,
    }),
  });
  const actual = receive(conn, rng, scenario.input);
  conn.receiveEof();
  for (const event of conn.takeEvents()) actual.push(toOutcome(event));
  if (expected.at(-1)?.type !== 'close') expected.push({ type: 'close', code: 1006, clean: false });
  compare(actual, expected, 'events');

  // What a receiver owes the peer: a Pong per Ping while open (§5.5.2), then a Close frame
  // echoing the peer's code (§5.5.1) or carrying the failure's (§7.1.7); none after a bare EOF.
  const owed: Outcome[] = expected.filter((e) => e.type === 'ping').map((e) => ({ type: 'pong', data: e.data as Buffer }));
  const end = expected.at(-1) as Extract<Outcome, { type: 'close' }>;
  if (end.code !== 1006) owed.push({ type: 'close', code: end.code, clean: true });
  const sent = referenceDecode(Buffer.concat(conn.takeOutgoing()), {
    side: scenario.side === 'server' ? 'client' : 'server', maxMessageSize: Infinity, deflate: null,
  });
  compare(sent.map((e) => (e.type === 'close' ? { ...e, clean: true } : e)), owed, 'replies');
}

/**
 * Feeds `input` to `conn` in random chunks, releasing a held close at once
 * (as the transport does once the messages before it are handed over), and
 * returns the events. The engine unmasks in place: it gets its own copy.
 */
export function receive(conn: Connection, rng: Random, input: Buffer): Outcome[] {
  const events: Outcome[] = [];
  const collect = () => {
    for (const event of conn.takeEvents()) events.push(toOutcome(event));
  };
  for (const chunk of rng.chunks(Buffer.from(input))) {
    conn.receiveData(chunk);
    collect();
    if (conn.holdsClose) {
      conn.releaseClose();
      collect();
    }
  }
  return events;
}

function toOutcome(event: ReturnType<Connection['takeEvents']>[number]): Outcome {
  switch (event.type) {
    case 'message':
      if (event.data instanceof TextBytes) return { type: 'text', data: event.data.toString() };
      return typeof event.data === 'string' ? { type: 'text', data: event.data } : { type: 'binary', data: event.data };
    case 'close':
      if (event.error !== undefined && !(event.error instanceof WebSocketError)) throw new FuzzFailure(`close with a non-WebSocketError: ${event.error}`);
      return { type: 'close', code: event.code, clean: event.wasClean };
    default:
      return { type: event.type, data: event.data };
  }
}

export function compare(actual: Outcome[], expected: Outcome[], what: string): void {
  const n = Math.max(actual.length, expected.length);
  for (let i = 0; i < n; i++) {
    const a = actual[i];
    const e = expected[i];
    if (a === undefined || e === undefined || !sameOutcome(a, e)) {
      throw new FuzzFailure(`${what} differ at #${i}: engine ${describe(a)}, reference ${describe(e)}`);
    }
  }
}

function sameOutcome(a: Outcome, e: Outcome): boolean {
  if (a.type !== e.type) return false;
  if (a.type === 'close') return a.code === (e as typeof a).code && a.clean === (e as typeof a).clean;
  if (a.type === 'text') return a.data === (e as typeof a).data;
  return a.data.equals((e as typeof a).data);
}

function describe(o: Outcome | undefined): string {
  if (o === undefined) return 'nothing';
  if (o.type === 'close') return `close ${o.code}${o.clean ? '' : ' (failed)'}`;
  return `${o.type} of ${o.data.length}`;
}
