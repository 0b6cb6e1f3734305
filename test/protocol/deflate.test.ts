import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PerMessageDeflate, acceptResponse, clientOffer, negotiateOffer } from '../../src/protocol/deflate.js';
import { parseExtensions } from '../../src/protocol/extensions.js';

test('extension header parsing (RFC 6455 §9.1)', () => {
  assert.deepEqual(parseExtensions('permessage-deflate; client_max_window_bits, permessage-deflate; server_max_window_bits="10" , x-foo'), [
    { name: 'permessage-deflate', params: [['client_max_window_bits', true]] },
    { name: 'permessage-deflate', params: [['server_max_window_bits', '10']] },
    { name: 'x-foo', params: [] },
  ]);
  assert.deepEqual(parseExtensions(' , '), []);
  assert.throws(() => parseExtensions('permessage-deflate; a="unterminated'), SyntaxError);
  assert.throws(() => parseExtensions('bad name'), SyntaxError);
  assert.throws(() => parseExtensions('x; a="not a token"'), SyntaxError);
});

test('the client offer', () => {
  assert.equal(clientOffer({}), 'permessage-deflate; client_max_window_bits');
  assert.equal(clientOffer({ serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: 12 }),
    'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=12');
  assert.throws(() => clientOffer({ serverMaxWindowBits: 16 }), RangeError);
});

test('the server accepts the first offer it can honour (RFC 7692 §7.1)', () => {
  assert.equal(negotiateOffer(undefined, {}), null);
  assert.equal(negotiateOffer('x-other', {}), null);
  assert.equal(negotiateOffer('permessage-deflate; unknown=1', {}), null, 'unknown parameter: declined');
  assert.equal(negotiateOffer('permessage-deflate; server_max_window_bits=7', {}), null, 'out of range: declined');
  assert.equal(negotiateOffer('permessage-deflate; server_max_window_bits', {}), null, 'needs a value');
  assert.equal(negotiateOffer('permessage-deflate; server_no_context_takeover; server_no_context_takeover', {}), null, 'duplicate');
  assert.equal(negotiateOffer('permessage-deflate; client_no_context_takeover=1', {}), null, 'value where none is allowed');
  assert.equal(negotiateOffer('permessage-deflate; "', {}), null, 'malformed header');
  const r = negotiateOffer('permessage-deflate; unknown, permessage-deflate; server_max_window_bits=9; client_no_context_takeover', {});
  assert.deepEqual(r, {
    response: 'permessage-deflate; client_no_context_takeover; server_max_window_bits=9',
    params: { sendWindowBits: 9, sendNoContextTakeover: false, receiveNoContextTakeover: true },
  });
  const eight = negotiateOffer('permessage-deflate; server_max_window_bits=8', {});
  assert.equal(eight?.params.sendWindowBits, 0, 'window 8: accepted, but we send uncompressed');
  const opts = negotiateOffer('permessage-deflate; client_max_window_bits', { serverNoContextTakeover: true, clientMaxWindowBits: 10 });
  assert.equal(opts?.response, 'permessage-deflate; server_no_context_takeover; client_max_window_bits=10');
});

test('the client checks the answer (RFC 7692 §7.1)', () => {
  assert.equal(acceptResponse(undefined, {}), null);
  assert.deepEqual(acceptResponse('permessage-deflate', {}), { sendWindowBits: 15, sendNoContextTakeover: false, receiveNoContextTakeover: false });
  assert.deepEqual(acceptResponse('permessage-deflate; server_no_context_takeover; client_max_window_bits=9', {}), { sendWindowBits: 9, sendNoContextTakeover: false, receiveNoContextTakeover: true });
  assert.throws(() => acceptResponse('permessage-deflate, permessage-deflate', {}), /did not offer/);
  assert.throws(() => acceptResponse('x-other', {}), /did not offer/);
  assert.throws(() => acceptResponse('permessage-deflate; foo', {}), /unknown parameter/);
  assert.throws(() => acceptResponse('permessage-deflate; client_max_window_bits', {}), /needs a value/);
  assert.throws(() => acceptResponse('permessage-deflate', { serverNoContextTakeover: true }), /ignored server_no_context_takeover/);
  assert.throws(() => acceptResponse('permessage-deflate; server_max_window_bits=12', { serverMaxWindowBits: 10 }), /ignored server_max_window_bits/);
  assert.throws(() => acceptResponse('permessage-deflate; client_max_window_bits=12', { clientMaxWindowBits: 10 }), /above what we offered/);
});

test('context takeover across many messages, and its window sliding past 32 KiB', () => {
  const params = { sendWindowBits: 15, sendNoContextTakeover: false, receiveNoContextTakeover: false };
  const sender = new PerMessageDeflate(params, { threshold: 0 });
  const receiver = new PerMessageDeflate(params);
  let previous = 0;
  for (let i = 0; i < 60; i++) {
    const text = Buffer.from(`message ${i % 7} `.repeat(1 + (i * 37) % 900));
    const compressed = sender.compress(text);
    assert.ok(!compressed.subarray(-4).equals(Buffer.from([0, 0, 0xff, 0xff])), 'trailer removed (§7.2.1)');
    assert.ok(receiver.decompress([compressed], 1 << 20).equals(text));
    previous = compressed.length;
  }
  assert.ok(previous > 0);
  // The same text twice: the second is a back-reference into the window.
  const once = Buffer.from('a fairly unique sentence that compresses poorly on its own 1234567890');
  const first = sender.compress(once).length;
  const second = sender.compress(once).length;
  assert.ok(second < first, `${second} < ${first}`);
  sender.dispose();
});

test('context takeover: small messages use the recent window, large ones all of it, and the peer inflates both', () => {
  const params = { sendWindowBits: 15, sendNoContextTakeover: false, receiveNoContextTakeover: false };
  const sender = new PerMessageDeflate(params, { threshold: 0 });
  const receiver = new PerMessageDeflate(params);
  const roundTrip = (data: Buffer) => {
    const compressed = sender.compress(data);
    assert.ok(receiver.decompress([compressed], 1 << 20).equals(data));
    return compressed.length;
  };
  const block = randomBytes(12 * 1024);
  roundTrip(block);
  roundTrip(randomBytes(8 * 1024)); // pushes `block` 8 KiB back, past a small message's dictionary
  const small = block.subarray(0, 200);
  assert.ok(roundTrip(small) > 150, 'a 200-byte message is not matched 20 KiB back');
  assert.ok(roundTrip(block) < 1024, 'a 12 KiB message is matched against the whole window');
  sender.dispose();
});

test('no context takeover: every message stands alone', () => {
  const params = { sendWindowBits: 15, sendNoContextTakeover: true, receiveNoContextTakeover: true };
  const sender = new PerMessageDeflate(params, { threshold: 0 });
  const text = Buffer.from('standalone standalone standalone');
  const a = sender.compress(text);
  const b = sender.compress(text);
  assert.ok(a.equals(b));
  assert.ok(new PerMessageDeflate(params).decompress([b], 1000).equals(text));
});

test('deflate settings are checked when given, not on the first large message', async () => {
  const { deflateSetting } = await import('../../src/protocol/deflate.js');
  for (const bad of [{ level: 42 }, { level: 1.5 }, { memLevel: 0 }, { threshold: NaN }, { threshold: -1 }, { serverMaxWindowBits: 16 }, { clientMaxWindowBits: 7 }]) {
    assert.throws(() => deflateSetting(bad), RangeError, JSON.stringify(bad));
  }
  assert.throws(() => deflateSetting('on' as unknown as boolean), TypeError);
  assert.deepEqual(deflateSetting({ level: 9, memLevel: 9, threshold: Infinity }), { level: 9, memLevel: 9, threshold: Infinity });
  assert.equal(deflateSetting(false), null);
});

test('an unlimited (or over-4-GiB) message size reaches zlib as a limit it accepts', () => {
  const params = { sendWindowBits: 15, sendNoContextTakeover: true, receiveNoContextTakeover: true };
  const codec = new PerMessageDeflate(params);
  const compressed = codec.compress(Buffer.alloc(10_000, 7));
  for (const limit of [Infinity, 2 ** 40]) {
    assert.equal(codec.decompress([compressed], limit).length, 10_000);
  }
});

test('receiveWindowBits: a peer compressing past the window it agreed to fails (1007, "too far back"); one within it inflates', () => {
  const message = Buffer.from(Array.from({ length: 400 }, (_, i) => ((i * 2654435761) >>> 0).toString(36)).join(' ')); // ~3 KiB, no repeats inside
  const agreed = { sendNoContextTakeover: false, receiveNoContextTakeover: false };
  for (const [peerBits, ours, ok] of [[15, 10, false], [10, 10, true], [15, undefined, true], [15, 8, false], [15, 15, true]] as const) {
    const peer = new PerMessageDeflate({ sendWindowBits: peerBits, ...agreed });
    const receiver = new PerMessageDeflate({ sendWindowBits: 15, ...agreed, receiveWindowBits: ours });
    // The second copy refers back ~3 KiB to the first: past 2^10.
    const attempt = () => [0, 1].map(() => receiver.decompress([peer.compress(message)], 1 << 20).equals(message));
    if (ok) assert.deepEqual(attempt(), [true, true], `peer ${peerBits} bits, ours ${ours}`);
    else assert.throws(attempt, (e: Error & { code?: string; closeCode?: number }) => e.code === 'WS_ERR_INFLATE' && e.closeCode === 1007 && /too far back/.test(e.message), `peer ${peerBits} bits, ours ${ours}`);
  }
});
