// SOCKS5 proxies (RFC 1928, RFC 1929) against Debian's microsocks: with and
// without a password, ws:// and wss:// (TLS inside the tunnel), refusals,
// and ALL_PROXY from the environment.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect, ConnectError } from '../../src/transport/client.js';
import { proxyFor, parseProxyUrl } from '../../src/transport/proxy.js';
import { echo, freePort, startServer, testCertificate } from '../helpers.js';
import { runCli } from '../cli/cli-process.js';

const MICROSOCKS = '/usr/bin/microsocks';
const hasMicrosocks = spawnSync('sh', ['-c', `command -v ${MICROSOCKS}`], { stdio: 'ignore' }).status === 0;
const requireMicrosocks = process.env.CI ? false : !hasMicrosocks && 'microsocks is not installed (.ci/run installs it)';

/** Starts microsocks on loopback; resolves once it accepts connections. */
async function startMicrosocks(args: string[] = []): Promise<{ port: number; process: ChildProcess }> {
  const port = await freePort();
  const child = spawn(MICROSOCKS, ['-i', '127.0.0.1', '-p', String(port), ...args], { stdio: 'ignore' });
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const probe = net.connect(port, '127.0.0.1', () => {
        probe.destroy();
        resolve(true);
      });
      probe.once('error', () => resolve(false));
    });
    if (up) return { port, process: child };
    if (child.exitCode !== null) throw new Error(`microsocks exited with ${child.exitCode}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('through microsocks (a real SOCKS5 proxy)', { skip: requireMicrosocks }, () => {
  let open: { port: number; process: ChildProcess };
  let locked: { port: number; process: ChildProcess };
  before(async () => {
    open = await startMicrosocks();
    locked = await startMicrosocks(['-u', 'alice', '-P', 's3cret']);
  });
  after(() => {
    open.process.kill();
    locked.process.kill();
  });

  test('ws:// through socks5://, the host name resolved by the proxy', async () => {
    const { server, port } = await startServer({ '/': echo });
    const ws = await connect(`ws://localhost:${port}/`, { proxy: `socks5://127.0.0.1:${open.port}`, timeout: 5000 });
    await ws.send('through socks');
    assert.equal(await ws.receive(5000), 'through socks');
    await ws.close();
    await server.close();
  });

  test('a user name and password (RFC 1929); a wrong one or none is ERR_PROXY saying why', async () => {
    const { server, port } = await startServer({ '/': echo });
    const ws = await connect(`ws://127.0.0.1:${port}/`, { proxy: `socks5://alice:s3cret@127.0.0.1:${locked.port}` });
    await ws.send('authenticated');
    assert.equal(await ws.receive(5000), 'authenticated');
    await ws.close();
    await assert.rejects(connect(`ws://127.0.0.1:${port}/`, { proxy: `socks5://alice:wrong@127.0.0.1:${locked.port}` }), (e: ConnectError) =>
      e.code === 'ERR_PROXY' && /user name or password refused/.test(e.message) && !/wrong|alice/.test(e.message));
    await assert.rejects(connect(`ws://127.0.0.1:${port}/`, { proxy: `socks5://127.0.0.1:${locked.port}` }), (e: ConnectError) =>
      e.code === 'ERR_PROXY' && /needs a user name and password/.test(e.message));
    await server.close();
  });

  test('wss:// goes TLS inside the tunnel', async () => {
    const { key, cert } = testCertificate();
    const { server, port } = await startServer({ '/': echo }, { tls: { key, cert } });
    const ws = await connect(`wss://localhost:${port}/`, { proxy: `socks5h://127.0.0.1:${open.port}`, ca: cert });
    await ws.send('secure');
    assert.equal(await ws.receive(5000), 'secure');
    await ws.close();
    await server.close();
  });

  test('a target the proxy cannot reach: its reply code, as ERR_PROXY', async () => {
    const closed = await freePort();
    await assert.rejects(connect(`ws://127.0.0.1:${closed}/`, { proxy: `socks5://127.0.0.1:${open.port}` }), (e: ConnectError) =>
      e.code === 'ERR_PROXY' && new RegExp(`could not reach 127\\.0\\.0\\.1:${closed}: `).test(e.message));
  });

  test('scriptling-ws connect --proxy socks5:// and ALL_PROXY', async () => {
    const { server, url } = await startServer({ '/': echo });
    const flag = await runCli(['connect', '--proxy', `socks5://alice:s3cret@127.0.0.1:${locked.port}`, url], 'via flag\n');
    assert.equal(flag.status, 0, flag.stderr);
    assert.equal(flag.stdout, 'via flag\n');
    const env = await runCli(['connect', url], 'via ALL_PROXY\n', { env: { ALL_PROXY: `socks5://127.0.0.1:${open.port}`, HTTP_PROXY: '', http_proxy: '', NO_PROXY: '', no_proxy: '' } });
    assert.equal(env.status, 0, env.stderr);
    assert.equal(env.stdout, 'via ALL_PROXY\n');
    await server.close();
  });
});

describe('SOCKS5 settings', () => {
  test('socks5:// and socks5h:// are proxies; ALL_PROXY applies when the scheme\'s own variable is unset', () => {
    assert.equal(parseProxyUrl('socks5://127.0.0.1:1080').protocol, 'socks5:');
    assert.equal(parseProxyUrl('socks5h://user:pw@proxy').protocol, 'socks5h:');
    const ws = { secure: false, host: 'example.com', port: 80 };
    assert.equal(proxyFor(ws, undefined, { ALL_PROXY: 'socks5://all:1080' })?.href, 'socks5://all:1080');
    assert.equal(proxyFor(ws, undefined, { all_proxy: 'socks5://lower:1080', HTTP_PROXY: 'http://http:3128' })?.host, 'http:3128');
    assert.equal(proxyFor(ws, undefined, { ALL_PROXY: 'socks5://all:1080', NO_PROXY: 'example.com' }), null);
    assert.throws(() => parseProxyUrl(`socks5://${'u'.repeat(256)}:p@proxy`), /SOCKS5 user name is 1 to 255 bytes/);
    assert.throws(() => parseProxyUrl('ftp://proxy'), /must be an http:\/\/ \(CONNECT\) or socks5:\/\/ proxy/);
  });
});
