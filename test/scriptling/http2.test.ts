// The binding over HTTP/2 (RFC 8441): serve({ http2: true, tls }) and
// connect(url, { http2 }), each proven from the other side.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import * as ws from '../../src/scriptling/index.js';
import type { WebSocketConnection } from '../../src/scriptling/index.js';
import { testCertificate } from '../helpers.js';

test('serve({ http2: true, tls }) and connect(url, { http2: true }): one session, handlers see the CONNECT', async () => {
  const runtime = ws.createRuntime();
  const methods: string[] = [];
  const peers = new Set<string>();
  runtime.http.websocket('/echo', async (client: WebSocketConnection) => {
    methods.push(client.request!.method);
    peers.add(client.remote_addr);
    const message = await client.receive(5);
    if (message !== null) await client.send(message);
  });
  runtime.http.get('/page', () => ({ status: 200, body: 'page body' }));
  const server = await runtime.http.serve({ port: 0, http2: true, tls: testCertificate() });
  try {
    const url = `wss://localhost:${server.port}/echo`;
    const [a, b] = await Promise.all([1, 2].map(() => ws.connect(url, { http2: true, ca: testCertificate().cert })));
    await a.send('over a stream');
    await b.send({ also: 'a stream' });
    assert.equal(await a.receive(5), 'over a stream');
    assert.equal(await b.receive(5), '{"also":"a stream"}');
    assert.deepEqual(methods, ['CONNECT', 'CONNECT']);
    assert.equal(peers.size, 1, 'both came over one TCP connection: one HTTP/2 session');
    await a.close();
    await b.close();
    // The runtime's pages are served over HTTP/2 as well.
    const session = http2.connect(`https://localhost:${server.port}`, { ca: testCertificate().cert });
    const body = await new Promise<string>((resolve, reject) => {
      let text = '';
      session.request({ ':path': '/page' }).on('data', (c) => (text += c)).on('end', () => resolve(text)).on('error', reject);
    });
    session.close();
    assert.equal(body, 'page body');
    // 'auto' on the binding, and a bad value is a TypeError before anything is sent.
    const auto = await ws.connect(url, { http2: 'auto', ca: testCertificate().cert });
    await auto.send('auto');
    assert.equal(await auto.receive(5), 'auto');
    await auto.close();
    await assert.rejects(ws.connect(url, { http2: 'yes' as unknown as true }), TypeError);
  } finally {
    await server.close();
  }
});
