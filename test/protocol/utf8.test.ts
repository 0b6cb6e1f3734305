import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isAscii, isUtf8 } from 'node:buffer';
import { ASCII_FAST_PATH_MIN, Utf8Validator, asciiOnly, decodeText, strictUtf8 } from '../../src/protocol/utf8.js';

const hex = (s: string) => Buffer.from(s.replace(/\s/g, ''), 'hex');

/** Feeds `bytes` split at every position and as single bytes; returns validity. */
function validEverySplit(bytes: Buffer): boolean {
  const results = new Set<boolean>();
  for (let cut = 0; cut <= bytes.length; cut++) {
    const v = new Utf8Validator();
    results.add(v.feed(bytes.subarray(0, cut)) && v.feed(bytes.subarray(cut)) && v.finish());
  }
  const v = new Utf8Validator();
  let ok = true;
  for (let i = 0; i < bytes.length && ok; i++) ok = v.feed(bytes.subarray(i, i + 1));
  results.add(ok && v.finish());
  assert.equal(results.size, 1, 'the same verdict for every chunking');
  return [...results][0];
}

test('valid text of every sequence length', () => {
  for (const s of ['', 'Hello', 'κόσμε', '€uro', '𝄞 music', 'mixed ascii + 日本語 + 🎉']) assert.equal(validEverySplit(Buffer.from(s)), true, s);
  assert.equal(validEverySplit(hex('f48fbfbf')), true, 'U+10FFFF');
  assert.equal(validEverySplit(hex('efbfbf')), true, 'U+FFFF');
});

test('invalid sequences (Autobahn 6.x style)', () => {
  const invalid = {
    'lone continuation': '80',
    'overlong slash': 'c0af',
    'overlong 3-byte': 'e080af',
    'overlong 4-byte': 'f08080af',
    'surrogate U+D800': 'eda080',
    'above U+10FFFF': 'f4908080',
    'F5 lead': 'f5808080',
    'FE byte': 'fe',
    'truncated at end': 'e282',
    'truncated before ascii': 'e28241',
    'κόσμε then surrogate': 'cebae1bdb9cf83cebcceb5eda080656469746564',
  };
  for (const [name, bytes] of Object.entries(invalid)) assert.equal(validEverySplit(hex(bytes)), false, name);
});

test('fails fast: on the piece that makes the text impossible, not at the end', () => {
  const v = new Utf8Validator();
  assert.equal(v.feed(hex('cebae1bdb9cf83cebcceb5f4')), true);
  assert.equal(v.feed(hex('90')), false, 'F4 90 is already past U+10FFFF');
  const w = new Utf8Validator();
  assert.equal(w.feed(hex('ed')), true);
  assert.equal(w.feed(hex('a0')), false, 'ED A0 starts a surrogate');
});

test('decodeText: long pure ASCII takes the ASCII path, anything else is checked and decoded as UTF-8', () => {
  for (const length of [ASCII_FAST_PATH_MIN - 1, ASCII_FAST_PATH_MIN, ASCII_FAST_PATH_MIN * 4]) {
    const ascii = Buffer.alloc(length, 0x61);
    assert.equal(decodeText(ascii, 'unchecked'), 'a'.repeat(length), `${length} ASCII bytes`);
    // One byte past ASCII at the very end: not ASCII, so it must go through validation.
    const invalid = Buffer.concat([ascii, Buffer.from([0xff])]);
    assert.equal(decodeText(invalid, 'unchecked'), null, `${length} ASCII bytes then 0xff`);
    const latin = Buffer.concat([ascii, Buffer.from('é')]);
    assert.equal(decodeText(latin, 'unchecked'), `${'a'.repeat(length)}é`, 'a two-byte character is not mangled by an ASCII decode');
    assert.equal(decodeText(latin, 'validated'), `${'a'.repeat(length)}é`);
  }
  assert.equal(decodeText(Buffer.alloc(0), 'unchecked'), '');
});

test('the checks for runtimes without buffer.isUtf8/isAscii (Node 18.9) agree with the native ones', () => {
  const samples = [
    '', '41', '7f', '80', 'c2 80', 'c0 80', 'e0 a0 80', 'e0 80 80', 'ed 9f bf', 'ed a0 80', 'f0 90 80 80',
    'f4 8f bf bf', 'f4 90 80 80', 'f5 80 80 80', 'ce ba e1 bd b9 cf 83 ce bc ce b5', 'ce ba e1 bd', 'ff',
  ].map(hex);
  for (const bytes of samples) {
    assert.equal(strictUtf8(bytes), isUtf8(bytes), `isUtf8 of ${bytes.toString('hex')}`);
    assert.equal(asciiOnly(bytes), isAscii(bytes), `isAscii of ${bytes.toString('hex')}`);
  }
});
