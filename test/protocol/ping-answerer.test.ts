import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PingAnswerer } from '../../src/protocol/ping-answerer.js';
import { Connection } from '../../src/protocol/connection.js';

/** A server frame (unmasked) with a short payload. */
function frame(firstByte: number, payload: Buffer): Buffer {
  if (payload.length < 126) return Buffer.concat([Buffer.from([firstByte, payload.length]), payload]);
  const head = Buffer.from([firstByte, 126, 0, 0]);
  head.writeUInt16BE(payload.length, 2);
  return Buffer.concat([head, payload]);
}
const ping = (text: string) => frame(0x89, Buffer.from(text));
const text = (body: string) => frame(0x81, Buffer.from(body));

/** What a server sees: the Pongs decoded by a server-side Connection. */
function pongsIn(frames: Buffer[]): string[] {
  const server = new Connection({ side: 'server' });
  for (const f of frames) server.receiveData(f);
  return server.takeEvents().map((event) => {
    assert.equal(event.type, 'pong');
    return (event as { data: Buffer }).data.toString();
  });
}

test('answers each Ping with a masked Pong of the same payload, skipping data frames', () => {
  const answerer = new PingAnswerer();
  const pongs = answerer.receiveData(Buffer.concat([text('hello'), ping('one'), frame(0x82, Buffer.alloc(300, 7)), ping(''), ping('two')]));
  assert.deepEqual(pongsIn(pongs), ['one', '', 'two']);
  for (const pong of pongs) assert.ok(pong[1] & 0x80, 'client frames are masked');
});

test('frames split anywhere across chunks, byte by byte', () => {
  const answerer = new PingAnswerer();
  const stream = Buffer.concat([frame(0x02, Buffer.alloc(200, 1)), frame(0x80, Buffer.alloc(10)), ping('split'), text('x')]);
  const pongs: Buffer[] = [];
  for (let i = 0; i < stream.length; i++) pongs.push(...answerer.receiveData(stream.subarray(i, i + 1)));
  assert.deepEqual(pongsIn(pongs), ['split']);
});

test('stops for good at a Close frame: what follows is the owner’s business', () => {
  const answerer = new PingAnswerer();
  assert.deepEqual(answerer.receiveData(Buffer.concat([frame(0x88, Buffer.from([0x03, 0xe8])), ping('late')])), []);
  assert.deepEqual(answerer.receiveData(ping('later')), []);
});

test('stops at anything it does not understand: a masked frame, a reserved opcode, a long control frame', () => {
  const masked = Buffer.from([0x89, 0x80, 1, 2, 3, 4]);
  const reserved = Buffer.from([0x83, 0x00]);
  const longPing = Buffer.concat([Buffer.from([0x89, 126, 0, 200]), Buffer.alloc(200)]);
  for (const bad of [masked, reserved, longPing]) {
    const answerer = new PingAnswerer();
    assert.deepEqual(answerer.receiveData(Buffer.concat([bad, ping('after')])), []);
    assert.deepEqual(answerer.receiveData(ping('again')), []);
  }
});
