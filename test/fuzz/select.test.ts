import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareIds, selectCases, splitList } from '../../src/fuzz/select.js';
import { AUTOBAHN_CASES } from '../../src/fuzz/cases/index.js';
import { fixture } from '../helpers.js';

test('the cases have the suite ids, in the suite order: all 517', () => {
  const suite = fixture('autobahn/cases.txt').split('\n').filter(Boolean);
  assert.deepEqual(AUTOBAHN_CASES.map((c) => c.id), suite);
  assert.equal(new Set(AUTOBAHN_CASES.map((c) => c.id)).size, 517);
});

test('patterns select as the suite does: "*" anywhere, matched from the start, sorted as number tuples', () => {
  const ids = (cases: string, exclude = '') => selectCases(splitList(cases), splitList(exclude), AUTOBAHN_CASES).map((c) => c.id);
  assert.deepEqual(ids('1.1.*'), ['1.1.1', '1.1.2', '1.1.3', '1.1.4', '1.1.5', '1.1.6', '1.1.7', '1.1.8']);
  assert.deepEqual(ids('10.*,2.1'), ['2.1', '10.1.1']);
  assert.deepEqual(ids('2.*', '2.1*'), ['2.2', '2.3', '2.4', '2.5', '2.6', '2.7', '2.8', '2.9']);
  assert.equal(ids('*').length, 517);
  assert.equal(ids('12.*').length, 90);
  assert.deepEqual(ids('13.7.1*'), ['13.7.1', '13.7.10', '13.7.11', '13.7.12', '13.7.13', '13.7.14', '13.7.15', '13.7.16', '13.7.17', '13.7.18']);
  assert.throws(() => ids('1.1.99'), /unknown case "1.1.99"/);
  assert.ok(compareIds('1.2.10', '1.2.9') > 0 && compareIds('9.8.6', '10.1.1') < 0 && compareIds('6.4', '6.4.1') < 0);
});
