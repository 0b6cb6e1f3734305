import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocketError, protocolError, type WebSocketErrorCode } from '../../src/protocol/errors.js';
import type { core } from '../../src/all.js';
import { ROOT } from '../helpers.js';

const sources = readdirSync(join(ROOT, 'src'), { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.ts'))
  .map((file) => readFileSync(join(ROOT, 'src', file), 'utf8'))
  .join('\n');

test('WebSocketErrorCode names exactly the codes a WebSocketError is made with in src/ (tsc checks each is in it; this, that none is stale)', () => {
  const union = readFileSync(join(ROOT, 'src', 'protocol', 'errors.ts'), 'utf8').match(/^\s*\| '(WS_ERR_[A-Z0-9_]+)'/gm)!.map((line) => /'(.*)'/.exec(line)![1]);
  const made = new Set([...sources.matchAll(/(?:new WebSocketError|protocolError)\('(WS_ERR_[A-Z0-9_]+)'/g)].map((match) => match[1]));
  assert.deepEqual([...union].sort(), [...made].sort());
});

test('the code is typed: the package (core, and the one-file build) exports the union', () => {
  const code: core.WebSocketErrorCode = 'WS_ERR_NOT_OPEN';
  const error = new WebSocketError(code, 1000, 'not open');
  const narrowed: WebSocketErrorCode = error.code;
  assert.equal(narrowed, 'WS_ERR_NOT_OPEN');
  assert.equal(protocolError('WS_ERR_INVALID_OPCODE', 'reserved opcode').closeCode, 1002);
});
