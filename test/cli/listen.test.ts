// `scriptling-ws listen`: many clients with ids, stdin broadcast and /to,
// --echo, wss with --cert/--key, -v, the data formats, Ctrl-C → 1001 to every
// client; our client, Node's and Python's `websockets` as the clients.
import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '../../src/transport/client.js';
import type { WebSocket } from '../../src/transport/websocket.js';
import { ROOT, testCertificate } from '../helpers.js';
import { CliProcess } from './cli-process.js';

const PYTHON = '/usr/bin/python3';
const hasPythonWebsockets = spawnSync(PYTHON, ['-c', 'import websockets'], { stdio: 'ignore' }).status === 0;

const running: CliProcess[] = [];
afterEach(async () => {
  // Ctrl-C, as a user stops it (SIGKILL only if that fails).
  await Promise.all(running.splice(0).map(async (cli) => {
    cli.kill('SIGINT');
    await cli.status(5000);
  }));
});

/** Starts `listen` on a free port; resolves with the process and its URL once it listens. */
async function listen(args: string[] = []): Promise<{ cli: CliProcess; url: string }> {
  const cli = new CliProcess(['listen', '--port', '0', ...args]);
  running.push(cli);
  const [, url] = await cli.waitFor(/listening on (wss?:\/\/\S+)/, 'stderr');
  return { cli, url };
}

describe('listen', () => {
  test('clients get ids; their messages print with the id; a stdin line goes to all, /to ID to one; Ctrl-C → 1001 and exit 0', async () => {
    const { cli, url } = await listen();
    const one = await connect(url);
    await cli.waitFor(/\[1\] connected from 127\.0\.0\.1:\d+/, 'stderr');
    const two = await connect(url);
    await cli.waitFor(/\[2\] connected/, 'stderr');
    await one.send('from one');
    await two.send(Buffer.from([0xca, 0xfe]));
    await cli.waitFor(/\[1\] from one\n/);
    await cli.waitFor(/\[2\] cafe\n/);
    cli.write('to everybody\n');
    assert.equal(await one.receive(5000), 'to everybody');
    assert.equal(await two.receive(5000), 'to everybody');
    cli.write('/to 2 just you\n');
    assert.equal(await two.receive(5000), 'just you');
    cli.write('/to 9 nobody\n');
    await cli.waitFor(/no client "9"/, 'stderr');
    cli.write('/too 2 typo\n');
    await cli.waitFor(/unknown command \/too/, 'stderr');
    cli.write('/list\n');
    await cli.waitFor(/\[2\] 127\.0\.0\.1:\d+/, 'stderr');
    cli.kill('SIGINT');
    assert.equal(await one.receive(5000), null); // nothing else was sent to one
    assert.equal(await cli.status(), 0);
    assert.deepEqual([one.closeInfo?.code, two.closeInfo?.code], [1001, 1001]);
    assert.match(cli.stderr, /closing 2 connection\(s\) with 1001/);
  });

  test('a client that does not read: stdin waits for it (said once on stderr); the others get every line once it is gone', async () => {
    const { cli, url } = await listen(['--no-deflate']);
    const slow = await connect(url, { maxQueuedBytes: 1024 }); // never reads: its queue fills at once
    await cli.waitFor(/\[1\] connected/, 'stderr');
    const reader = await connect(url);
    await cli.waitFor(/\[2\] connected/, 'stderr');
    const total = 64;
    const line = 'x'.repeat(1024 * 1024);
    for (let i = 0; i < total; i++) cli.write(`${i} ${line}\n`);
    // The old listen queued all 64 MiB for the slow client and never said so.
    await cli.waitFor(/\[1\] is not reading what we send: stdin waits for it/, 'stderr');
    slow.terminate();
    await cli.waitFor(/\[1\] closed: 1006/, 'stderr');
    for (let i = 0; i < total; i++) {
      const message = await reader.receive(10_000);
      assert.equal(typeof message === 'string' ? message.slice(0, message.indexOf(' ')) : message, String(i));
    }
    assert.equal(cli.stderr.match(/is not reading/g)?.length, 1);
    reader.terminate();
  });

  test('--echo sends every message back; /close ID CODE closes one client; closes are reported', async () => {
    const { cli, url } = await listen(['--echo']);
    const ws = await connect(url);
    await ws.send('bounce');
    assert.equal(await ws.receive(5000), 'bounce');
    await ws.send(Buffer.from([1, 2]));
    assert.deepEqual(await ws.receive(5000), Buffer.from([1, 2]));
    await cli.waitFor(/\[1\] 0102\n/);
    cli.write('/close 1 999\n');
    await cli.waitFor(/error: close code 999 cannot be sent/, 'stderr');
    cli.write('/close 1 4002 enough\n');
    assert.equal(await ws.receive(5000), null);
    assert.deepEqual({ code: ws.closeInfo?.code, reason: ws.closeInfo?.reason }, { code: 4002, reason: 'enough' });
    await cli.waitFor(/\[1\] closed: 4002/, 'stderr');
    cli.write('nobody here\n');
    await cli.waitFor(/no clients connected: nothing sent/, 'stderr');
  });

  test('--hex and --base64: stdin lines sent as binary, binary printed that way', async () => {
    const { cli, url } = await listen(['--base64']);
    const ws = await connect(url);
    await cli.waitFor(/\[1\] connected/, 'stderr');
    cli.write('AQL/\n');
    assert.deepEqual(await ws.receive(5000), Buffer.from([1, 2, 255]));
    await ws.send(Buffer.from('hi'));
    await cli.waitFor(/\[1\] aGk=\n/);
    cli.write('not base64!\n');
    await cli.waitFor(/error: not base64/, 'stderr');
    const hex = await listen(['--hex']);
    const other = await connect(hex.url);
    await hex.cli.waitFor(/\[1\] connected/, 'stderr');
    hex.cli.write('00ff\n');
    assert.deepEqual(await other.receive(5000), Buffer.from([0, 255]));
    await Promise.all([ws.close(), other.close()]);
  });

  test('--cert/--key (--passphrase for an encrypted key) serve wss://; -v prints each opening handshake; --no-deflate and --path', async () => {
    const { key, cert } = testCertificate();
    const dir = mkdtempSync(join(tmpdir(), 'sws-listen-'));
    writeFileSync(join(dir, 'key.pem'), key);
    writeFileSync(join(dir, 'cert.pem'), cert);
    execFileSync('openssl', ['pkey', '-in', join(dir, 'key.pem'), '-aes256', '-passout', 'pass:s3cret', '-out', join(dir, 'encrypted.pem')]);
    const { cli, url } = await listen(['--cert', join(dir, 'cert.pem'), '--key', join(dir, 'encrypted.pem'), '--passphrase', 's3cret', '-v', '--no-deflate', '--path', '/poke']);
    assert.match(url, /^wss:\/\/127\.0\.0\.1:\d+\/poke$/);
    const ws = await connect(url, { ca: cert, headers: { 'X-Probe': 'yes' } });
    assert.equal(ws.extensions, '');
    await cli.waitFor(/\[1\] > GET \/poke HTTP\/1\.1/, 'stderr');
    await cli.waitFor(/\[1\] > X-Probe: yes/, 'stderr');
    await ws.send('secure hello');
    await cli.waitFor(/\[1\] secure hello/);
    await ws.close();
  });

  test('Node\'s built-in WebSocket as a client: its message shown, a typed line received, Ctrl-C → 1001', async () => {
    const { cli, url } = await listen();
    const script = `const ws = new WebSocket(process.argv[1]);
      ws.onopen = () => ws.send('hello from node');
      ws.onmessage = (e) => console.log(e.data);
      ws.onclose = (e) => console.log('CLOSED ' + e.code);`;
    const node = spawn(process.execPath, ['--experimental-websocket', '--no-warnings', '-e', script, url], { stdio: ['ignore', 'pipe', 'inherit'] });
    let nodeOut = '';
    node.stdout.on('data', (chunk) => (nodeOut += chunk));
    await cli.waitFor(/\[1\] hello from node/);
    cli.write('hello node\n');
    cli.kill('SIGINT');
    await new Promise((resolve) => node.once('close', resolve));
    assert.equal(nodeOut, 'hello node\nCLOSED 1001\n');
    assert.equal(await cli.status(), 0);
  });

  test('Python websockets as a client', { skip: !hasPythonWebsockets && !process.env.CI && 'python3-websockets is not installed' }, async () => {
    const { cli, url } = await listen();
    const python = spawn(PYTHON, [join(ROOT, 'test', 'cli', 'python_peer.py'), 'client', url], { stdio: ['ignore', 'pipe', 'inherit'] });
    let pythonOut = '';
    python.stdout.on('data', (chunk) => (pythonOut += chunk));
    await cli.waitFor(/\[1\] hello from python/);
    cli.write('hello python\n');
    cli.kill('SIGINT');
    await new Promise((resolve) => python.once('close', resolve));
    assert.equal(pythonOut, 'hello python\nCLOSED 1001\n');
    assert.equal(await cli.status(), 0);
  });

  test('usage: --port is required; --cert without --key is refused', async () => {
    for (const args of [['listen'], ['listen', '--port', '0', '--cert', join(ROOT, 'package.json')]]) {
      const cli = new CliProcess(args);
      cli.end();
      assert.equal(await cli.status(), 2);
      assert.match(cli.stderr, /listen needs --port|--cert and --key go together/);
    }
  });
});

describe('listen, route options', () => {
  test('--subprotocol accepts the first of ours the client offers', async () => {
    const { cli, url } = await listen(['-s', 'b', '-s', 'a']);
    const ws: WebSocket = await connect(url, { protocols: ['a', 'b'] });
    assert.equal(ws.protocol, 'b');
    await cli.waitFor(/\[1\] connected from .* \(subprotocol b\)/, 'stderr');
    await ws.close();
  });
});
