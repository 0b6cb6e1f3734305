// Subprotocols with a client we did not write: Node's built-in WebSocket
// (undici, as in browsers) refuses a 101 that does not answer its offer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { WebSocketServer } from '../../src/transport/server.js';
import { ROOT } from '../helpers.js';

const script = join(ROOT, 'test', 'interop', 'node_subprotocols.mjs');

async function nodeClient(url: string, protocols: string[]): Promise<{ protocol?: string; serverSays?: string; error?: string }> {
  const run = promisify(execFile);
  const { stdout } = await run(process.execPath, ['--experimental-websocket', '--no-warnings', script, url, JSON.stringify(protocols)], { timeout: 20_000 })
    .catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '{"error":"no output"}' }));
  return JSON.parse(stdout);
}

test("Node's built-in WebSocket with ['chat', 'superchat']: both sides agree on the route's first choice", async () => {
  const server = new WebSocketServer({ onError: () => {} });
  server.route('/chat', async (ws) => {
    await ws.send(ws.protocol);
    await ws.receive(5000);
  }, { protocols: ['superchat', 'chat'] });
  server.route('/plain', async (ws) => {
    await ws.send(ws.protocol);
    await ws.receive(5000);
  });
  const { port } = await server.listen(0, '127.0.0.1');
  assert.deepEqual(await nodeClient(`ws://127.0.0.1:${port}/chat`, ['chat', 'superchat']), { protocol: 'superchat', serverSays: 'superchat' });
  // A route with no protocols in common answers without Sec-WebSocket-Protocol, which the client refuses (RFC 6455 §4.1).
  const refused = await nodeClient(`ws://127.0.0.1:${port}/plain`, ['chat', 'superchat']);
  assert.ok(refused.error !== undefined, JSON.stringify(refused));
  await server.close();
});
