import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_OFFER, acceptOffer, offerText, readOffers, readResponse } from '../../src/fuzz/deflate.js';

test('offers are written as the suite writes them', () => {
  assert.equal(offerText(DEFAULT_OFFER), 'permessage-deflate; client_no_context_takeover; client_max_window_bits');
  assert.equal(offerText({ ...DEFAULT_OFFER, requestNoContextTakeover: true, requestMaxWindowBits: 9 }), 'permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover; server_max_window_bits=9');
});

test('a client offer is read with the suite rules: client_no_context_takeover is assumed, bad parameters refuse the handshake', () => {
  const [offer, second] = readOffers('permessage-deflate; client_max_window_bits, permessage-deflate; server_max_window_bits=10; server_no_context_takeover, x-other');
  assert.deepEqual(offer, { acceptNoContextTakeover: true, acceptMaxWindowBits: true, requestNoContextTakeover: false, requestMaxWindowBits: 0 });
  assert.deepEqual(second, { acceptNoContextTakeover: true, acceptMaxWindowBits: false, requestNoContextTakeover: true, requestMaxWindowBits: 10 });
  assert.deepEqual(readOffers(undefined), []);
  for (const bad of ['permessage-deflate; server_max_window_bits=8', 'permessage-deflate; foo', 'permessage-deflate; client_no_context_takeover=1', 'permessage-deflate; client_max_window_bits; client_max_window_bits']) {
    assert.throws(() => readOffers(bad), SyntaxError, bad);
  }
});

test('an accepted offer answers with what was asked and what we ask; the codecs of both ends agree', () => {
  const [offer] = readOffers('permessage-deflate; client_max_window_bits; server_no_context_takeover');
  const { response, codec } = acceptOffer({ offer, requestNoContextTakeover: true, requestMaxWindowBits: 9 });
  assert.equal(response, 'permessage-deflate; server_no_context_takeover; client_no_context_takeover; client_max_window_bits=9');
  const client = readResponse(response)!;
  assert.deepEqual(client.params, { sendWindowBits: 9, sendNoContextTakeover: true, receiveNoContextTakeover: true });
  assert.deepEqual(codec.params, { sendWindowBits: 15, sendNoContextTakeover: true, receiveNoContextTakeover: true });
  const text = Buffer.from('hello hello hello hello');
  assert.deepEqual(codec.decompress([client.compress(text)], 1000), text);
  assert.deepEqual(client.decompress([codec.compress(text)], 1000), text);
});

test('a server response we did not ask for is refused; none means no compression', () => {
  assert.equal(readResponse(undefined), null);
  assert.throws(() => readResponse('x-webkit-deflate-frame'), SyntaxError);
  assert.throws(() => readResponse('permessage-deflate; client_max_window_bits=7'), SyntaxError);
});
