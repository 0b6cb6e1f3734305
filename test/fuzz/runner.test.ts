import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runAll } from '../../src/fuzz/runner.js';
import { CaseRun, type CaseDefinition } from '../../src/fuzz/case.js';

test('runAll: N cases at once, performance cases alone, results in case order', async () => {
  const cases: CaseDefinition[] = ['1', '2', '3', '4', '9.1', '9.2', '10'].map((id) => ({ id, description: '', expectation: '', open() {}, alone: id.startsWith('9.') }));
  let running = 0;
  const seen: Array<[string, number]> = [];
  const runs = await runAll(cases, 3, async (definition, index) => {
    running++;
    seen.push([definition.id, running]);
    await new Promise((resolve) => setTimeout(resolve, 10 + (index % 3) * 5));
    running--;
    return new CaseRun(definition, index, 'a');
  });
  assert.deepEqual(runs.map((r) => r.definition.id), ['1', '2', '3', '4', '9.1', '9.2', '10']);
  assert.deepEqual(runs.map((r) => r.index), [1, 2, 3, 4, 5, 6, 7]);
  assert.equal(Math.max(...seen.filter(([id]) => !id.startsWith('9.')).map(([, n]) => n)), 3);
  assert.deepEqual(seen.filter(([id]) => id.startsWith('9.')).map(([, n]) => n), [1, 1]);
});
