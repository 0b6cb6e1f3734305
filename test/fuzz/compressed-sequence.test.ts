import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PerMessageDeflate, type DeflateParams } from '../../src/protocol/deflate.js';
import { COMPRESSION_LEVEL } from '../../src/fuzz/deflate.js';
import { CompressedSequence, SequenceCache } from '../../src/fuzz/cases/compressed-sequence.js';
import { datasets, slice, unitCount } from '../../src/fuzz/cases/compression-data.js';
import { playAgainstServer, serverTarget } from '../../src/fuzz/against-server.js';
import { selectCases } from '../../src/fuzz/select.js';
import { runAll } from '../../src/fuzz/runner.js';
import { startServer } from '../helpers.js';

const TAKEOVER: DeflateParams = { sendWindowBits: 15, sendNoContextTakeover: false, receiveNoContextTakeover: false };
const NO_CONTEXT_9: DeflateParams = { sendWindowBits: 9, sendNoContextTakeover: true, receiveNoContextTakeover: true };

for (const [name, params] of [['context takeover', TAKEOVER], ['no context takeover, window 9', NO_CONTEXT_9]] as const) {
  test(`a shared sequence sends the octets a connection's own compressor would (${name})`, () => {
    const dataset = 0;
    const data = datasets()[dataset];
    const size = 50_000; // wraps around the end of the data within a few messages
    const own = new PerMessageDeflate(params, { level: COMPRESSION_LEVEL });
    const inflater = new PerMessageDeflate({ ...params, receiveNoContextTakeover: params.sendNoContextTakeover }, {});
    const sequence = new CompressedSequence(dataset, size, params);
    let next = 0;
    for (let i = 0; i < 8; i++) {
      const message = slice(data, next, size);
      next = (next + size) % unitCount(data);
      const shared = sequence.at(i);
      assert.deepEqual(shared.message, message, `message ${i}`);
      assert.deepEqual(shared.compressed, own.compress(message), `compressed message ${i}`);
      assert.deepEqual(inflater.decompress([Buffer.from(shared.compressed)], Infinity), message, `message ${i} inflates back`);
    }
    // A second reader of the same sequence gets the same objects, not a second compression.
    assert.equal(sequence.at(3), sequence.at(3));
  });
}

test('the cache shares a sequence between cases with the same data, size and parameters only', () => {
  const cache = new SequenceCache();
  const json = cache.get(0, 1024, 1000, TAKEOVER);
  assert.ok(json !== null);
  assert.equal(cache.get(0, 1024, 1000, TAKEOVER), json, 'same data, size, parameters: shared');
  assert.notEqual(cache.get(0, 1024, 1000, NO_CONTEXT_9), json, 'other parameters: another sequence');
  assert.notEqual(cache.get(0, 4096, 1000, TAKEOVER), json, 'other size: another sequence');
  assert.notEqual(cache.get(1, 1024, 1000, TAKEOVER), json, 'other dataset: another sequence');
  assert.notEqual(cache.get(0, 1024, 1000, TAKEOVER), json, 'the JSON sequences were let go when the image data came');
});

test('past its memory budget the cache gives no sequence, and the case compresses on its own', () => {
  const cache = new SequenceCache(1000 * (16 * 1.1 + 64) * 2);
  assert.ok(cache.get(4, 16, 1000, TAKEOVER) !== null);
  assert.ok(cache.get(4, 16, 1000, NO_CONTEXT_9) !== null);
  assert.equal(cache.get(4, 64, 1000, TAKEOVER), null);
  assert.ok(cache.get(4, 16, 1000, TAKEOVER) !== null, 'a sequence already made is still shared');
});

test('a finished compression case lets its shared sequence go (the run is kept for the reports; a full run held them all)', { timeout: 60_000 }, async () => {
  const { server, url } = await startServer();
  try {
    const runs = await runAll(selectCases(['12.2.1', '13.2.1']), 2, (c, i) => playAgainstServer(serverTarget(url), c, i));
    for (const run of runs) {
      assert.equal(`${run.behavior}/${run.behaviorClose}`, 'OK/OK', run.definition.id);
      assert.equal(run.data.sequence, null, run.definition.id);
      assert.equal(run.data.count, 1000, run.definition.id);
    }
  } finally {
    await server.close();
  }
});
