// The binding's connect(): the seed's positional form, the options form with
// every time in seconds, subprotocols, and clear errors for bad arguments.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as ws from '../../src/scriptling/index.js';
import { rawServer, requestKey, switching } from '../helpers.js';

describe('binding connect()', () => {
  test('protocols: the offer goes out and conn.protocol is the server\'s choice ("" when none)', async () => {
    const offers: string[] = [];
    const server = await rawServer((s, request) => {
      const offer = /Sec-WebSocket-Protocol: (.*)\r\n/.exec(request)?.[1] ?? '';
      offers.push(offer);
      s.write(switching(requestKey(request), offer.includes('v2.ocpp') ? 'Sec-WebSocket-Protocol: ocpp2.0.1\r\n' : ''));
    });
    const chosen = await ws.connect(`ws://127.0.0.1:${server.port}/`, { protocols: ['ocpp2.0.1', 'v2.ocpp'] });
    assert.equal(chosen.protocol, 'ocpp2.0.1');
    const none = await ws.connect(`ws://127.0.0.1:${server.port}/`, 5, {});
    assert.equal(none.protocol, '');
    assert.deepEqual(offers, ['ocpp2.0.1, v2.ocpp', '']);
    await assert.rejects(ws.connect(`ws://127.0.0.1:${server.port}/`, { protocols: ['not a token'] }), { name: 'TypeError', message: /^websocket connect failed: invalid subprotocol "not a token"/ });
    await assert.rejects(ws.connect(`ws://127.0.0.1:${server.port}/`, 5, { 'Sec-WebSocket-Protocol': 'chat' }), { name: 'TypeError', message: /protocols option/ });
    chosen.engine.terminate();
    none.engine.terminate();
    server.close();
  });

  test('the positional form connect(url, timeout, headers) still works', async () => {
    let request = '';
    const server = await rawServer((s, head) => {
      request = head;
      s.write(switching(requestKey(head)));
    });
    const conn = await ws.connect(`ws://127.0.0.1:${server.port}/x`, 5, { Authorization: 'Bearer my-token' });
    assert.match(request, /\r\nAuthorization: Bearer my-token\r\n/);
    conn.engine.terminate();
    // None as the timeout: no limit.
    const patient = await ws.connect(`ws://127.0.0.1:${server.port}/y`, null, { 'X-Who': 'patient' });
    assert.match(request, /^GET \/y HTTP\/1\.1\r\n[^]*\r\nX-Who: patient\r\n/);
    patient.engine.terminate();
    server.close();
  });

  test('every time option is in seconds: timeout and closeTimeout', async () => {
    const silent = await rawServer(() => {});
    await assert.rejects(ws.connect(`ws://127.0.0.1:${silent.port}/`, 0.3), /^ConnectError: websocket connect failed: timed out after 0\.3 s$/);
    await assert.rejects(ws.connect(`ws://127.0.0.1:${silent.port}/`, { timeout: 0.3 }), /timed out after 0\.3 s/);
    silent.close();
    // A server that completes the handshake and then ignores our Close: close() waits closeTimeout seconds.
    const deaf = await rawServer((s, head) => s.write(switching(requestKey(head))));
    const conn = await ws.connect(`ws://127.0.0.1:${deaf.port}/`, { closeTimeout: 0.4 });
    const started = Date.now();
    await conn.close();
    const waited = Date.now() - started;
    assert.ok(waited >= 350 && waited < 5000, `closed after ${waited} ms, not 0.4 s`);
    deaf.close();
  });

  test('a URL that is not a string gets a clear TypeError', async () => {
    await assert.rejects(ws.connect(undefined as never), { name: 'TypeError', message: 'websocket connect failed: the URL must be a ws:// or wss:// string (or a URL), not undefined' });
    await assert.rejects(ws.connect({ url: 'ws://x' } as never, 5), { name: 'TypeError', message: /not object$/ });
    await assert.rejects(ws.connect('ws://127.0.0.1:1/', { closeTimeout: -1 }), { name: 'TypeError', message: /connect\(\) closeTimeout must be a number of seconds/ });
  });
});
