// Errors cross the thread boundary as data and come back as the classes
// the async binding throws, with the same message and code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reviveError, serializeError, ownBytes, windowsOf, SYNC_LIMIT_DEFAULTS } from '../../src/sync/messages.js';
import { resolveLimits } from '../../src/protocol/limits.js';
import { ConnectError } from '../../src/transport/client.js';
import { WebSocketError } from '../../src/protocol/errors.js';
import { connectWaitMs } from '../../src/sync/sync-worker.js';

const roundTrip = (error: unknown): Error => reviveError(structuredClone(serializeError(error)));

test('ConnectError and WebSocketError come back as themselves', () => {
  const connect = roundTrip(new ConnectError('connection refused', 'ECONNREFUSED'));
  assert.ok(connect instanceof ConnectError);
  assert.equal(connect.message, 'websocket connect failed: connection refused');
  assert.equal((connect as ConnectError).code, 'ECONNREFUSED');
  const ws = roundTrip(new WebSocketError('WS_ERR_NOT_OPEN', 1000, 'cannot send: the connection is closed'));
  assert.ok(ws instanceof WebSocketError);
  assert.deepEqual([(ws as WebSocketError).code, (ws as WebSocketError).closeCode, ws.message], ['WS_ERR_NOT_OPEN', 1000, 'cannot send: the connection is closed']);
});

test("a ConnectError keeps the refusal: the status, headers and body of the answer", () => {
  const refused = new ConnectError('unexpected HTTP status 404 Not Found', 'ERR_UNEXPECTED_STATUS', {
    refusal: { status: 404, headers: { 'content-type': 'text/plain' }, body: Buffer.from('Not found\n') },
  });
  const back = roundTrip(refused) as ConnectError;
  assert.ok(back instanceof ConnectError);
  assert.deepEqual([back.code, back.status, back.headers, back.body], ['ERR_UNEXPECTED_STATUS', 404, { 'content-type': 'text/plain' }, Buffer.from('Not found\n')]);
  assert.ok(Buffer.isBuffer(back.body));
  assert.equal((roundTrip(new ConnectError('connection refused', 'ECONNREFUSED')) as ConnectError).status, undefined);
});

test('connect() waits as long as its timeout: null without limit, 10 s when absent or refused by the binding', () => {
  assert.equal(connectWaitMs(2), 2000);
  assert.equal(connectWaitMs(null), Infinity);
  assert.equal(connectWaitMs(undefined), 10_000);
  assert.equal(connectWaitMs(-1), 10_000);
  assert.equal(connectWaitMs(0), 10_000);
  assert.equal(connectWaitMs('soon'), 10_000);
});

test('TypeError, RangeError and SyntaxError keep their class; others their name and code', () => {
  for (const Class of [TypeError, RangeError, SyntaxError]) {
    const error = roundTrip(new Class('bad'));
    assert.equal(error.constructor, Class);
    assert.equal(error.message, 'bad');
  }
  const custom = Object.assign(new Error('disk on fire'), { name: 'SystemError', code: 'EFIRE' });
  const back = roundTrip(custom);
  assert.deepEqual([back.name, back.message, (back as Error & { code?: string }).code], ['SystemError', 'disk on fire', 'EFIRE']);
  const thrownString = roundTrip('just a string');
  assert.deepEqual([thrownString.name, thrownString.message], ['Error', 'just a string']);
});

test('ownBytes keeps bytes that own their buffer and copies a view of a larger one', () => {
  const whole = new Uint8Array([1, 2, 3]);
  assert.equal(ownBytes(whole), whole);
  const view = Buffer.from([0, 1, 2, 3, 4]).subarray(1, 3);
  const own = ownBytes(view);
  assert.notEqual(own.buffer, view.buffer);
  assert.deepEqual([...own], [1, 2]);
  assert.equal(own.buffer.byteLength, 2);
});

test('sync windows are the resolved maxQueuedBytes and sendHighWaterMark: 8 MiB and 1 MiB unless the options say otherwise', () => {
  assert.deepEqual(windowsOf(resolveLimits({}, SYNC_LIMIT_DEFAULTS)), { receive: 8 * 1024 * 1024, send: 1024 * 1024 });
  assert.deepEqual(windowsOf(resolveLimits({ maxQueuedBytes: 1000, sendHighWaterMark: 500 }, SYNC_LIMIT_DEFAULTS)), { receive: 1000, send: 500 });
});
