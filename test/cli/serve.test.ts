import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as ws from '../../src/scriptling/index.js';
import { CliProcess, runCli } from './cli-process.js';

describe('scriptling-ws serve --workers', () => {
  test('one chat room over 2 workers: each message reaches every client once; Ctrl-C closes every worker (1001)', async () => {
    const cli = new CliProcess(['serve', '--port', '0', '--workers', '2']);
    const [, port] = await cli.waitFor(/chat: +ws:\/\/127\.0\.0\.1:(\d+)\/chat +\(one room over 2 workers\)/);
    const clients: ws.WebSocketConnection[] = [];
    for (let i = 0; i < 6; i++) {
      const client = await ws.connect(`ws://127.0.0.1:${port}/chat`);
      assert.equal(await client.receive(10), 'Welcome to the chat!');
      clients.push(client);
    }
    await clients[0].send('from the first');
    await clients[5].send('from the last');
    for (const client of clients) {
      const got = [await client.receive(10), await client.receive(10)].sort();
      assert.deepEqual(got, ['from the first', 'from the last']);
    }
    await clients[3].send('marker');
    for (const client of clients) assert.equal(await client.receive(10), 'marker', 'nothing arrived twice');
    cli.kill('SIGINT');
    assert.equal(await cli.status(), 0);
    for (const client of clients) {
      assert.equal(await client.receive(10), null);
      assert.equal(client.engine.closeInfo?.code, 1001);
    }
  });

  test('a bad --workers or --pubsub is a usage error (status 2)', async () => {
    const workers = await runCli(['serve', '--workers', 'many']);
    assert.equal(workers.status, 2);
    assert.match(workers.stderr, /--workers takes a number of workers or "auto", not "many"/);
    const pubsub = await runCli(['serve', '--pubsub', 'http://127.0.0.1:6379']);
    assert.equal(pubsub.status, 2);
    assert.match(pubsub.stderr, /--pubsub: "http:" is not redis: or rediss:/);
  });
});
