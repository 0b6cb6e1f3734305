/**
 * The sending side: messages and pings through `Connection.send*` with
 * random permessage-deflate parameters (window bits, context takeover,
 * threshold, level) must decode, in the reference decoder and in our own
 * receiving Connection fed in random chunks, to exactly what was sent.
 */
import { Connection } from '../../src/protocol/connection.js';
import { PerMessageDeflate } from '../../src/protocol/deflate.js';
import type { Random } from './random.js';
import { FuzzFailure, compare, randomText, receive } from './frames.js';
import { referenceDecode, type Outcome } from './reference.js';

/** Message content that compresses: repeats of earlier content, runs, and random bytes. */
function content(rng: Random, earlier: Buffer[]): Buffer {
  const size = rng.weighted([[10, rng.between(0, 200)], [4, rng.between(200, 5000)], [1, rng.between(5000, 70_000)]]);
  const kind = rng.below(3);
  if (kind === 0 && earlier.length > 0) {
    const source = rng.pick(earlier);
    const out = Buffer.alloc(size);
    for (let i = 0; i < size; i += source.length || 1) source.copy(out, i);
    return out;
  }
  if (kind === 1) return Buffer.alloc(size, rng.below(256));
  return rng.bytes(size);
}

export function fuzzEncode(rng: Random): void {
  const side = rng.chance(0.5) ? 'client' : 'server';
  const peerSide = side === 'client' ? 'server' : 'client';
  const windowBits = rng.between(8, 15);
  const noContextTakeover = rng.chance(0.3);
  const compressing = rng.chance(0.8);
  const sender = new Connection({
    side,
    deflate: compressing ? new PerMessageDeflate(
      { sendWindowBits: windowBits < 9 ? 0 : windowBits, sendNoContextTakeover: noContextTakeover, receiveNoContextTakeover: false },
      { threshold: rng.pick([0, 1, 64, 1024]), level: rng.between(0, 9), memLevel: rng.between(1, 9) },
    ) : null,
  });
  const sent: Outcome[] = [];
  const earlier: Buffer[] = [];
  for (let i = rng.between(1, 8); i > 0; i--) {
    const kind = rng.weighted([[4, 'text'], [4, 'binary'], [1, 'ping']] as const);
    if (kind === 'ping') {
      const data = rng.bytes(rng.below(126));
      sender.ping(data);
      sent.push({ type: 'ping', data });
    } else if (kind === 'text') {
      const data = rng.chance(0.5) ? randomText(rng, rng.below(300)) : content(rng, earlier).toString('latin1');
      sender.sendText(data);
      sent.push({ type: 'text', data });
      earlier.push(Buffer.from(data));
    } else {
      const data = content(rng, earlier);
      sender.sendBinary(data);
      sent.push({ type: 'binary', data: Buffer.from(data) });
      earlier.push(data);
    }
  }
  const wire = Buffer.concat(sender.takeOutgoing());
  const options = { side: peerSide, maxMessageSize: Infinity, deflate: compressing ? { noContextTakeover } : null } as const;
  compare(referenceDecode(wire, options), sent, 'reference decoding of what we sent');
  const receiver = new Connection({
    side: peerSide,
    deflate: compressing ? new PerMessageDeflate({ sendWindowBits: 15, sendNoContextTakeover: false, receiveNoContextTakeover: noContextTakeover }) : null,
  });
  const events = receive(receiver, rng, wire);
  if (events.length !== sent.length) throw new FuzzFailure(`our receiver got ${events.length} events for ${sent.length} sent`);
  compare(events, sent, 'our own decoding of what we sent');
}
