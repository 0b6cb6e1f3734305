// Subprotocols and Origin checks with clients we did not write: Node's
// built-in WebSocket (undici, as in browsers) and Python's websockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { WebSocketServer } from '../../src/transport/server.js';
import type { WebSocket } from '../../src/transport/websocket.js';
import { ROOT } from '../helpers.js';

const here = join(ROOT, 'test', 'interop');
const PYTHON = '/usr/bin/python3';
const hasPythonWebsockets = spawnSync(PYTHON, ['-c', 'import websockets'], { stdio: 'ignore' }).status === 0;
const requirePython = process.env.CI ? false : !hasPythonWebsockets && 'python3-websockets is not installed (.ci/run installs it)';

interface Report { protocol?: string; serverSays?: string; error?: string; status?: number }

async function run(cmd: string, args: string[]): Promise<Report> {
  const { stdout } = await promisify(execFile)(cmd, args, { timeout: 20_000 })
    .catch((error: { stdout?: string }) => ({ stdout: error.stdout || '{"error":"no output"}' }));
  return JSON.parse(stdout);
}

const nodeClient = (url: string, protocols: string[]) =>
  run(process.execPath, ['--experimental-websocket', '--no-warnings', join(here, 'node_subprotocols.mjs'), url, JSON.stringify(protocols)]);
const pythonClient = (url: string, protocols: string[], origin?: string) =>
  run(PYTHON, [join(here, 'python_subprotocols.py'), url, JSON.stringify(protocols), ...(origin ? [origin] : [])]);

/** Tells the client which protocol was agreed, then waits for it to leave. */
async function tellProtocol(ws: WebSocket): Promise<void> {
  await ws.send(ws.protocol);
  await ws.receive(5000);
}

async function serve() {
  const server = new WebSocketServer({ onError: () => {} });
  server.route('/chat', tellProtocol, { protocols: ['superchat', 'chat'], origins: ['https://app.example'] });
  server.route('/open', tellProtocol, { protocols: ['superchat', 'chat'] });
  server.route('/plain', tellProtocol);
  const { port } = await server.listen(0, '127.0.0.1');
  return { server, url: `ws://127.0.0.1:${port}` };
}

test("Node's built-in WebSocket with ['chat', 'superchat']: both sides agree on the route's first choice", async () => {
  const { server, url } = await serve();
  assert.deepEqual(await nodeClient(`${url}/open`, ['chat', 'superchat']), { protocol: 'superchat', serverSays: 'superchat' });
  assert.deepEqual(await nodeClient(`${url}/open`, ['chat']), { protocol: 'chat', serverSays: 'chat' });
  // No protocol in common: the 101 has no Sec-WebSocket-Protocol, which the client refuses itself (RFC 6455 §4.1).
  const refused = await nodeClient(`${url}/plain`, ['chat', 'superchat']);
  assert.ok(refused.error !== undefined, JSON.stringify(refused));
  await server.close();
});

test("Python websockets with subprotocols= and origin=: the same choice, and 403 for another Origin", { skip: requirePython }, async () => {
  const { server, url } = await serve();
  assert.deepEqual(await pythonClient(`${url}/chat`, ['chat', 'superchat'], 'https://app.example'), { protocol: 'superchat', serverSays: 'superchat' });
  assert.deepEqual(await pythonClient(`${url}/chat`, ['chat', 'superchat'], 'https://evil.example'), { status: 403 });
  assert.deepEqual(await pythonClient(`${url}/plain`, []), { protocol: '', serverSays: '' });
  await server.close();
});
