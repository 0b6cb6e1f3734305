// WorkerConnection on its own: the calling thread's side of a connection
// whose socket the worker runs, driven by a fake WorkerLink that records
// the requests and delivers the events a test scripts (no worker thread).
// It checks the windows, the order of messages, and the errors send() and
// close() give, by their WS_ERR_* codes.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { WorkerConnection } from '../../src/sync/worker-connection.js';
import { WorkerDiedError } from '../../src/sync/worker-died.js';
import { BINARY_OVERHEAD, serializeError, type Request } from '../../src/sync/messages.js';
import { MESSAGE_OVERHEAD } from '../../src/protocol/message-cost.js';
import { WebSocketError } from '../../src/protocol/errors.js';
import { FakeLink } from './fakes.js';

/** The fake worker link, recording what close() was asked and failing it when told to. */
class ClosingLink extends FakeLink<WorkerConnection> {
  closeError: Error | null = null;
  closes: Array<{ conn: number; code: number | undefined; reason: string | undefined }> = [];

  override close(conn: number, code: number | undefined, reason: string | undefined): void {
    this.closes.push({ conn, code, reason });
    if (this.closeError !== null) throw this.closeError;
  }
}

function open(windows = { receive: 8 << 20, send: 1 << 20 }): { conn: WorkerConnection; link: ClosingLink } {
  const link = new ClosingLink();
  const conn = new WorkerConnection(link, 7, '127.0.0.1:1', 'chat', windows);
  link.conn = conn;
  return { conn, link };
}

const sends = (link: ClosingLink) => link.requests.filter((r): r is Extract<Request, { op: 'send' }> => r.op === 'send');
const isCode = (code: string) => (error: unknown) => error instanceof WebSocketError && error.code === code;

describe('WorkerConnection with a fake worker link', { timeout: 10_000 }, () => {
  test('messages come in the order posted: text as strings, binary as lists of byte values', () => {
    const { conn, link } = open();
    link.postEvent({ type: 'messages', conn: 7, data: ['one', new Uint8Array([1, 2, 3])] });
    link.postEvent({ type: 'messages', conn: 7, data: ['three'] });
    assert.equal(conn.receive(1), 'one');
    assert.deepEqual(conn.receive(0), [1, 2, 3]);
    assert.equal(conn.receive(0), 'three');
    assert.equal(conn.protocol, 'chat');
    assert.equal(conn.remote_addr, '127.0.0.1:1');
  });

  test('receive waits until its deadline, and a later call still gets what came after', () => {
    const { conn, link } = open();
    const started = performance.now();
    assert.equal(conn.receive(0.05), null);
    assert.ok(performance.now() - started >= 45, 'returned before its timeout');
    link.postEvent({ type: 'messages', conn: 7, data: ['late'] });
    assert.equal(conn.receive(0), 'late');
  });

  test("what the caller took is reported 'consumed' once half the receive window is read, with each message's cost", () => {
    const { conn, link } = open({ receive: 400, send: 1 << 20 });
    link.postEvent({ type: 'messages', conn: 7, data: ['a'.repeat(100), new Uint8Array(10), 'b'] });
    conn.receive(0); // 100 + 64 = 164 < 200: not yet
    assert.deepEqual(link.requests, []);
    conn.receive(0); // + 10 + BINARY_OVERHEAD
    assert.deepEqual(link.requests, [{ op: 'consumed', conn: 7, bytes: 100 + MESSAGE_OVERHEAD + 10 + BINARY_OVERHEAD }]);
    conn.receive(0);
    assert.equal(link.requests.length, 1); // 1 + 64 since: below half again
  });

  test("send posts the message; a caller's bytes are copied (it keeps its buffer), a dict goes as JSON text", () => {
    const { conn, link } = open();
    const mine = new Uint8Array([9, 8, 7]);
    conn.send_binary(mine);
    conn.send('text');
    conn.send({ a: 1 });
    const [binary, text, json] = sends(link);
    assert.deepEqual([...(binary.data as Uint8Array)], [9, 8, 7]);
    assert.notEqual((binary.data as Uint8Array).buffer, mine.buffer);
    assert.equal(mine.byteLength, 3); // not detached
    assert.equal(text.data, 'text');
    assert.equal(json.data, '{"a":1}'); // a dict goes as JSON text
  });

  test("send blocks while the send window is out, until the worker reports bytes written ('sent')", () => {
    const { conn, link } = open({ receive: 8 << 20, send: 200 });
    conn.send('x'.repeat(150)); // 150 + 64 = 214: the window is out after it
    assert.equal(link.waits, 0);
    link.onWait = () => link.postEvent({ type: 'sent', conn: 7, bytes: 214 });
    conn.send('y');
    assert.equal(link.waits, 1);
    assert.equal(sends(link).length, 2);
  });

  test("a connection that closes while send waits for the window: WS_ERR_NOT_OPEN, and the message is not posted", () => {
    const { conn, link } = open({ receive: 8 << 20, send: 100 });
    conn.send('x'.repeat(100));
    link.onWait = () => link.postEvent({ type: 'closed', conn: 7 });
    assert.throws(() => conn.send('never sent'), isCode('WS_ERR_NOT_OPEN'));
    assert.equal(sends(link).length, 1);
  });

  test('a send the worker reports failed is thrown by the next send, as the engine rejected it (code and close code kept)', () => {
    const { conn, link } = open();
    conn.send('first');
    link.postEvent({ type: 'sendFailed', conn: 7, error: serializeError(new WebSocketError('WS_ERR_CLOSED', 1006, 'connection closed: 1006')) });
    assert.throws(() => conn.send('second'), (error: unknown) => isCode('WS_ERR_CLOSED')(error) && (error as WebSocketError).closeCode === 1006);
    assert.equal(sends(link).length, 1);
  });

  test("after 'end', receive returns the rest and then null at once; connected() is true until the last is read", () => {
    const { conn, link } = open();
    link.postEvent({ type: 'messages', conn: 7, data: ['last words'] });
    link.postEvent({ type: 'end', conn: 7 });
    assert.equal(conn.connected(), true);
    assert.equal(conn.receive(0), 'last words');
    assert.equal(conn.connected(), false);
    const started = performance.now();
    assert.equal(conn.receive(5), null);
    assert.ok(performance.now() - started < 1000, 'waited for a connection that had ended');
    assert.throws(() => conn.send('after the end'), isCode('WS_ERR_NOT_OPEN'));
  });

  test('close asks the worker with the code and reason, checks them first, and is quiet when the worker has died', () => {
    const { conn, link } = open();
    assert.throws(() => conn.close(1005), RangeError); // 1005 is never sent: nothing reaches the worker
    assert.deepEqual(link.closes, []);
    conn.close(4000, 'bye');
    assert.deepEqual(link.closes, [{ conn: 7, code: 4000, reason: 'bye' }]);
    assert.throws(() => conn.send('after close'), isCode('WS_ERR_NOT_OPEN'));
    const other = open();
    other.link.closeError = new WorkerDiedError('out of memory');
    other.conn.close();
    assert.throws(() => other.conn.send('x'), isCode('WS_ERR_NOT_OPEN'));
    const broken = open();
    broken.link.closeError = new Error('a bug');
    assert.throws(() => broken.conn.close(), /a bug/);
  });
});
