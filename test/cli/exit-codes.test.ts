import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EXIT_CODES_HELP, Exit, exitCodeForClose } from '../../src/cli/exit-codes.js';

test('every close code maps to the status --help lists for it', () => {
  const expected: Array<[number, number]> = [
    [1000, 0], [1001, 0], [1005, 0], [1006, 4], [1015, 4], [1002, 5], [1003, 5], [1007, 5], [1009, 5], [1010, 5],
    [1011, 6], [1012, 6], [1013, 6], [1014, 6], [1008, 7], [3000, 7], [4999, 7],
  ];
  for (const [code, status] of expected) assert.equal(exitCodeForClose(code), status, String(code));
  for (const status of Object.values(Exit)) assert.match(EXIT_CODES_HELP, new RegExp(`^ {2}${status} {2}`, 'm'));
});
