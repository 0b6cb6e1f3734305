import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { records } from '../../src/cli/records.js';

const collect = async (chunks: Buffer[], separator: '\n' | '\0') => {
  const out: string[] = [];
  for await (const record of records(Readable.from(chunks), separator)) out.push(record);
  return out;
};

test('lines: CRLF and a last line without a newline; a character split between chunks stays whole', async () => {
  const euro = Buffer.from('€');
  const chunks = [Buffer.from('one\r\ntw'), Buffer.from('o\n\n'), Buffer.concat([Buffer.from('x'), euro.subarray(0, 1)]), euro.subarray(1)];
  assert.deepEqual(await collect(chunks, '\n'), ['one', 'two', '', 'x€']);
});

test('NUL records keep their newlines and carriage returns', async () => {
  assert.deepEqual(await collect([Buffer.from('a\r\nb\0c\0')], '\0'), ['a\r\nb', 'c']);
});
