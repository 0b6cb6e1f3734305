// The CLI testees: `scriptling-ws echo` (what Autobahn's fuzzingclient
// tests) and `scriptling-ws autobahn` (the fuzzingserver driver), against
// stand-ins built on the engine, since CI cannot fetch the suite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { connect } from '../src/transport/client.js';
import type { WebSocket } from '../src/transport/websocket.js';
import { ROOT, startServer } from './helpers.js';

const CLI = join(ROOT, 'dist', 'src', 'cli.js');

test('scriptling-ws echo: text stays text, binary stays binary', { timeout: 20_000 }, async () => {
  const child = spawn(process.execPath, [CLI, 'echo', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const line = await new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve));
    const url = /ws:\/\/\S+/.exec(line)![0];
    const ws = await connect(url);
    await ws.send('text');
    await ws.send(Buffer.from([1, 2, 3]));
    assert.equal(await ws.receive(5000), 'text');
    assert.deepEqual(await ws.receive(5000), Buffer.from([1, 2, 3]));
    await ws.close();
  } finally {
    child.kill();
  }
});

test('scriptling-ws autobahn: getCaseCount, runCase for each, updateReports', async () => {
  const seen: string[] = [];
  const echoed: Array<string | Buffer> = [];
  const { server, url } = await startServer({
    '/getCaseCount': async (ws: WebSocket) => {
      seen.push('count');
      await ws.send('3');
    },
    '/runCase': async (ws: WebSocket) => {
      seen.push('case');
      await ws.send(`case ${seen.length}`);
      await ws.send(Buffer.from([seen.length]));
      echoed.push((await ws.receive(5000)) as string, (await ws.receive(5000)) as Buffer);
    },
    '/updateReports': async () => {
      seen.push('reports');
    },
  });
  // Asynchronously: the stand-in server runs in this process.
  const { stdout: out } = await promisify(execFile)(process.execPath, [CLI, 'autobahn', '--url', url, '--agent', 'test agent'], { encoding: 'utf8', timeout: 30_000 });
  await server.close();
  assert.deepEqual(seen, ['count', 'case', 'case', 'case', 'reports']);
  assert.deepEqual(echoed, ['case 2', Buffer.from([2]), 'case 3', Buffer.from([3]), 'case 4', Buffer.from([4])]);
  assert.match(out, /running 3 cases/);
  assert.match(out, /reports updated/);
});

test('scriptling-ws rejects unknown commands and bad ports with a usage message', () => {
  for (const args of [['nope'], ['echo', '--port', 'x']]) {
    assert.throws(() => execFileSync(process.execPath, [CLI, ...args], { stdio: 'pipe' }), (e: { status: number; stderr: Buffer }) => e.status === 2 && /usage:/.test(e.stderr.toString()));
  }
  assert.match(execFileSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' }), /scriptling-ws serve/);
});
