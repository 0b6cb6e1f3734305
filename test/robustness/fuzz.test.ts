import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { TARGETS, runFuzz } from './run.js';
import { referenceDecode, type ReferenceOptions } from './reference.js';
import { frame } from '../helpers.js';

const MASK = Buffer.from([1, 2, 3, 4]);
const SERVER: ReferenceOptions = { side: 'server', maxMessageSize: 100, deflate: null };

describe('fuzzing (a short seeded slice of `npm run fuzz`)', () => {
  test('the reference decoder knows the rules it checks the engine against', () => {
    assert.deepEqual(referenceDecode(frame(0x81, 'hé', MASK), SERVER), [{ type: 'text', data: 'hé' }]);
    assert.deepEqual(referenceDecode(frame(0x81, 'hi'), SERVER), [{ type: 'close', code: 1002, clean: false }], 'unmasked client frame');
    assert.deepEqual(referenceDecode(frame(0x82, Buffer.alloc(101), MASK), SERVER), [{ type: 'close', code: 1009, clean: false }]);
    assert.deepEqual(referenceDecode(frame(0x01, Buffer.from([0xed, 0xa0]), MASK), SERVER), [{ type: 'close', code: 1007, clean: false }], 'a surrogate fails on its second byte');
    assert.deepEqual(referenceDecode(frame(0x01, Buffer.from([0xe2, 0x82]), MASK), SERVER), [], 'a valid prefix waits for more');
    assert.deepEqual(referenceDecode(Buffer.concat([frame(0x89, 'p', MASK), frame(0x88, Buffer.from([0x03, 0xe8]), MASK), frame(0x81, 'x', MASK)]), SERVER),
      [{ type: 'ping', data: Buffer.from('p') }, { type: 'close', code: 1000, clean: true }], 'nothing after a Close frame');
  });

  for (const seed of [1, 2]) {
    test(`seed ${seed}: 2,000 inputs, every target, no failure`, async () => {
      const summary = await runFuzz({ seed, count: 2000 });
      assert.deepEqual(summary.failures, []);
      for (const [, name] of TARGETS) assert.ok(summary.byTarget[name] > 0, `${name} ran`);
      assert.equal(summary.inputs, 2000);
    });
  }

  test('a replay runs exactly the input it names', async () => {
    const all = await runFuzz({ seed: 3, count: 50 });
    const one = await runFuzz({ seed: 3, replay: 49 });
    assert.equal(one.inputs, 1);
    assert.deepEqual(one.failures, all.failures.filter((f) => f.index === 49));
  });
});
