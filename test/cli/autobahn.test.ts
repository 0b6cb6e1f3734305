// The Autobahn testees: `scriptling-ws echo` (what the fuzzingclient tests)
// and `scriptling-ws autobahn` (the fuzzingserver driver), against stand-ins
// built on the engine, since CI cannot fetch the suite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '../../src/transport/client.js';
import type { WebSocket } from '../../src/transport/websocket.js';
import { startServer } from '../helpers.js';
import { CliProcess, runCli } from './cli-process.js';

test('scriptling-ws echo: text stays text, binary stays binary', async () => {
  const cli = new CliProcess(['echo', '--port', '0']);
  try {
    const [url] = await cli.waitFor(/ws:\/\/\S+/);
    const ws = await connect(url);
    await ws.send('text');
    await ws.send(Buffer.from([1, 2, 3]));
    assert.equal(await ws.receive(5000), 'text');
    assert.deepEqual(await ws.receive(5000), Buffer.from([1, 2, 3]));
    await ws.close();
  } finally {
    cli.kill();
  }
});

/** A stand-in fuzzing server with `count` cases, each sending two messages and recording the echoes. */
async function fuzzingServer(count: number) {
  const seen: string[] = [];
  const echoed: Array<string | Buffer> = [];
  const started = await startServer({
    '/getCaseCount': async (ws: WebSocket) => {
      seen.push('count');
      await ws.send(String(count));
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
  return { ...started, seen, echoed };
}

test('scriptling-ws autobahn: getCaseCount, runCase for each, updateReports', async () => {
  const { server, url, seen, echoed } = await fuzzingServer(3);
  const { status, stdout } = await runCli(['autobahn', '--url', url, '--agent', 'test agent']);
  await server.close();
  assert.equal(status, 0);
  assert.deepEqual(seen, ['count', 'case', 'case', 'case', 'reports']);
  assert.deepEqual(echoed, ['case 2', Buffer.from([2]), 'case 3', Buffer.from([3]), 'case 4', Buffer.from([4])]);
  assert.match(stdout, /running 3 cases/);
  assert.match(stdout, /case 3\/3/);
  assert.match(stdout, /reports updated/);
});

test('scriptling-ws autobahn on a terminal shows "case N/COUNT" as it goes', async () => {
  const { server, url } = await fuzzingServer(2);
  const cli = new CliProcess(['autobahn', '--url', url], { tty: true });
  assert.equal(await cli.status(), 0);
  await server.close();
  assert.match(cli.stdout, /\rcase 1\/2\rcase 2\/2/);
});

test('scriptling-ws autobahn against an unreachable URL: one line, exit 3', async () => {
  const { server, url } = await startServer();
  await server.close();
  const { status, stdout, stderr } = await runCli(['autobahn', '--url', url]);
  assert.equal(status, 3);
  assert.equal(stdout, '');
  assert.match(stderr, /^scriptling-ws: websocket connect failed: connection refused .*\n$/);
});
