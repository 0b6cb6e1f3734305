// Interop with peers we did not write: Node's built-in WebSocket client, and
// Python's `websockets` library in both directions.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { connect } from '../../src/transport/client.js';
import type { WebSocket } from '../../src/transport/websocket.js';
import { ROOT, startServer } from '../helpers.js';

const here = join(ROOT, 'test', 'interop');
const PYTHON = '/usr/bin/python3';
const hasPythonWebsockets = spawnSync(PYTHON, ['-c', 'import websockets'], { stdio: 'ignore' }).status === 0;
const requirePython = process.env.CI ? false : !hasPythonWebsockets && 'python3-websockets is not installed (.ci/run installs it)';

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill(), 20_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} exited ${code}: ${err}${out}`));
    });
  });
}

/** Echo server recording how each connection ended. */
async function echoServer() {
  const closes: Array<{ code: number; reason: string; wasClean: boolean } | null> = [];
  const started = await startServer({
    '/': async (ws: WebSocket) => {
      for (;;) {
        const m = await ws.receive();
        if (m === null) break;
        await ws.send(m as string | Buffer);
      }
      await ws.whenClosed();
      closes.push(ws.closeInfo);
    },
  });
  return { ...started, closes };
}

describe('interop', () => {
  test("Node's built-in WebSocket client against our server", async () => {
    const { server, url, closes } = await echoServer();
    const report = JSON.parse(await run(process.execPath, ['--experimental-websocket', '--no-warnings', join(here, 'node_client.mjs'), url]));
    assert.deepEqual(report, { extensions: 'permessage-deflate', text: 'hello from node', binary: [0, 1, 2, 255], bigOk: true, closeCode: 4001, wasClean: true });
    await server.close();
    assert.equal(closes[0]?.code, 4001);
  });

  test('Python websockets client against our server (permessage-deflate negotiated)', { skip: requirePython }, async () => {
    const { server, url, closes } = await echoServer();
    const report = JSON.parse(await run(PYTHON, [join(here, 'python_peer.py'), 'client', url]));
    assert.deepEqual(report, { extensions: ['PerMessageDeflate'], text: 'hello from python', binary: [0, 1, 2, 255], big_ok: true, pong: true, close_code: 4000 });
    await server.close();
    assert.deepEqual(closes[0], { code: 4000, reason: 'done', wasClean: true, error: undefined });
  });

  test('our client against a Python websockets server', { skip: requirePython }, async () => {
    const child = spawn(PYTHON, [join(here, 'python_peer.py'), 'server'], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const lines = createInterface({ input: child.stdout });
      const port = await new Promise<number>((resolve) => lines.once('line', (line) => resolve(Number(line.split(' ')[1]))));
      for (const perMessageDeflate of [true, false]) {
        const ws = await connect(`ws://127.0.0.1:${port}/`, { perMessageDeflate });
        assert.equal(ws.extensions !== '', perMessageDeflate);
        await ws.send('hello from scriptling');
        assert.equal(await ws.receive(5000), 'hello from scriptling');
        await ws.send(Buffer.from([9, 8, 7]));
        assert.deepEqual(await ws.receive(5000), Buffer.from([9, 8, 7]));
        const big = 'ü'.repeat(200_000);
        await ws.send(big);
        assert.equal(await ws.receive(5000), big);
        const pong = new Promise<Buffer>((resolve) => (ws.onpong = resolve));
        await ws.ping(Buffer.from('hi'));
        assert.deepEqual(await pong, Buffer.from('hi'));
        await ws.close(1000, 'done');
        assert.deepEqual(ws.closeInfo, { code: 1000, reason: 'done', wasClean: true, error: undefined });
      }
    } finally {
      child.stdin!.end();
      child.kill();
    }
  });

  test('our client offering subprotocols to a Python websockets server: both report the same choice', { skip: requirePython }, async () => {
    const child = spawn(PYTHON, [join(here, 'python_peer.py'), 'server', 'chat,stomp'], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const lines = createInterface({ input: child.stdout });
      const port = await new Promise<number>((resolve) => lines.once('line', (line) => resolve(Number(line.split(' ')[1]))));
      const agreed = await connect(`ws://127.0.0.1:${port}/`, { protocols: ['mqtt', 'chat'] });
      assert.equal(agreed.protocol, 'chat');
      assert.equal(await agreed.receive(5000), 'subprotocol=chat');
      await agreed.close();
      const disjoint = await connect(`ws://127.0.0.1:${port}/`, { protocols: ['mqtt'] });
      assert.equal(disjoint.protocol, '');
      assert.equal(await disjoint.receive(5000), 'subprotocol=');
      await disjoint.close();
    } finally {
      child.stdin!.end();
      child.kill();
    }
  });

  test('keepalive against a Python websockets server: its Pongs keep the connection and measure latency', { skip: requirePython }, async () => {
    const child = spawn(PYTHON, [join(here, 'python_peer.py'), 'server'], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const lines = createInterface({ input: child.stdout });
      const port = await new Promise<number>((resolve) => lines.once('line', (line) => resolve(Number(line.split(' ')[1]))));
      const ws = await connect(`ws://127.0.0.1:${port}/`, { pingInterval: 20, pingTimeout: 5000 });
      let pongs = 0;
      await new Promise<void>((resolve) => {
        ws.onpong = () => {
          if (++pongs === 3) resolve();
        };
        void ws.whenClosed().then(resolve);
      });
      assert.equal(pongs, 3);
      assert.ok(ws.latency > 0);
      const rtt = await ws.ping(Buffer.from('py'));
      assert.ok(rtt > 0);
      await ws.close();
    } finally {
      child.stdin!.end();
      child.kill();
    }
  });
});
