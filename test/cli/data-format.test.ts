import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError, dataFormat, decodeBase64, decodeHex, encodeInput, formatMessage } from '../../src/cli/data-format.js';
import { UsageError } from '../../src/cli/args.js';

test('hex input: spaces and colons between bytes are allowed; odd digits or other characters are refused', () => {
  assert.deepEqual(decodeHex('01 02:ff'), Buffer.from([1, 2, 255]));
  assert.deepEqual(decodeHex(''), Buffer.alloc(0));
  for (const bad of ['1', '0g', '01 2']) assert.throws(() => decodeHex(bad), InputError);
});

test('base64 input: standard alphabet, padding optional; anything else is refused', () => {
  assert.deepEqual(decodeBase64('AQL/'), Buffer.from([1, 2, 255]));
  assert.deepEqual(decodeBase64('aGk='), Buffer.from('hi'));
  assert.deepEqual(decodeBase64('aGk'), Buffer.from('hi'));
  for (const bad of ['a', 'a!bc', 'aGk==x']) assert.throws(() => decodeBase64(bad), InputError);
});

test('what a line becomes, and how a message is shown, per format', () => {
  assert.equal(encodeInput('héllo', 'text'), 'héllo');
  assert.deepEqual(encodeInput('héllo', 'binary'), Buffer.from('héllo'));
  assert.equal(formatMessage('text stays text', 'hex'), 'text stays text');
  assert.equal(formatMessage(Buffer.from([0xde, 0xad]), 'text'), 'dead');
  assert.equal(formatMessage([0xde, 0xad], 'base64'), '3q0=');
  assert.deepEqual(formatMessage(Buffer.from([0]), 'binary'), Buffer.from([0]));
});

test('--binary, --hex and --base64 exclude each other', () => {
  assert.equal(dataFormat({}), 'text');
  assert.equal(dataFormat({ hex: true }), 'hex');
  assert.throws(() => dataFormat({ binary: true, base64: true }), UsageError);
});
