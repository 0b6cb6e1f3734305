// HTTP CONNECT proxies: Debian's tinyproxy as the real one, plus a scripted
// proxy for refusals and garbage, and the environment rules as pure functions.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, ConnectError, type ConnectOptions } from '../../src/transport/client.js';
import { bypassesProxy, proxyFor, parseProxyUrl } from '../../src/transport/proxy.js';
import { echo, freePort, rawServer, startServer, testCertificate } from '../helpers.js';

const TINYPROXY = '/usr/bin/tinyproxy';
const hasTinyproxy = spawnSync(TINYPROXY, ['-v'], { stdio: 'ignore' }).status === 0;
const requireTinyproxy = process.env.CI ? false : !hasTinyproxy && 'tinyproxy is not installed (.ci/run installs it)';

interface Tinyproxy {
  port: number;
  /** Everything tinyproxy logged so far. */
  log: () => string;
  stop: () => Promise<void>;
}

/** Starts tinyproxy on loopback with BasicAuth alice:s3cret; resolves once it accepts connections. */
async function startTinyproxy(): Promise<Tinyproxy> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'sws-tinyproxy-'));
    const config = join(dir, 'tinyproxy.conf');
    writeFileSync(config, [
      `Port ${port}`, 'Listen 127.0.0.1', 'Timeout 30', 'MaxClients 20', 'LogLevel Info', 'Allow 127.0.0.1',
      'BasicAuth alice s3cret', 'DisableViaHeader Yes', '',
    ].join('\n'));
    const child: ChildProcess = spawn(TINYPROXY, ['-d', '-c', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    const ready = await new Promise<boolean>((resolve) => {
      const onOutput = (chunk: Buffer) => {
        log += chunk;
        if (log.includes('Accepting connections')) resolve(true);
      };
      child.stdout!.on('data', onOutput);
      child.stderr!.on('data', onOutput);
      child.once('exit', () => resolve(false));
    });
    const stop = () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill();
    });
    if (ready) return { port, log: () => log, stop };
    // Another process took the port between the probe and tinyproxy's bind.
    if (attempt === 4) throw new Error(`tinyproxy did not start:\n${log}`);
  }
}

const through = (proxy: Tinyproxy, credentials = 'alice:s3cret@') => `http://${credentials}127.0.0.1:${proxy.port}`;

/** Sets environment variables for one test, restoring them afterwards. */
async function withEnv(vars: Record<string, string | undefined>, run: () => Promise<void>): Promise<void> {
  const names = ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'no_proxy', 'NO_PROXY'];
  const saved = Object.fromEntries(names.map((name) => [name, process.env[name]]));
  for (const name of names) delete process.env[name];
  Object.assign(process.env, vars);
  try {
    await run();
  } finally {
    for (const name of names) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  }
}

describe('through tinyproxy (a real HTTP CONNECT proxy)', { skip: requireTinyproxy }, () => {
  let proxy: Tinyproxy;
  let server: Awaited<ReturnType<typeof startServer>>;
  before(async () => {
    proxy = await startTinyproxy();
    server = await startServer({ '/': echo });
  });
  after(async () => {
    await server?.server.close();
    await proxy?.stop();
  });

  test('ws:// through the proxy option, with credentials', async () => {
    const ws = await connect(`${server.url}/`, { proxy: through(proxy) });
    // Our socket's peer is the proxy: the bytes really went through it.
    assert.equal(ws.remoteAddress, `127.0.0.1:${proxy.port}`);
    await ws.send('via tinyproxy');
    assert.equal(await ws.receive(5000), 'via tinyproxy');
    await ws.close();
    assert.match(proxy.log(), new RegExp(`CONNECT 127\\.0\\.0\\.1:${server.port}`));
  });

  test('wss:// goes TLS inside the tunnel: SNI and the certificate check name the origin', async () => {
    const { key, cert } = testCertificate();
    let sni: string | false = false;
    const origin = await startServer({ '/': echo }, { tls: { key, cert, SNICallback: (name: string, done: (e: Error | null, c?: tls.SecureContext) => void) => {
      sni = name;
      done(null, tls.createSecureContext({ key, cert }));
    } } as never });
    const checked: string[] = [];
    const ws = await connect(`wss://localhost:${origin.port}/`, {
      proxy: through(proxy),
      ca: cert,
      checkServerIdentity: (host, certificate) => {
        checked.push(host);
        return tls.checkServerIdentity(host, certificate);
      },
    });
    assert.equal(sni, 'localhost');
    assert.deepEqual(checked, ['localhost']);
    assert.equal(ws.remoteAddress, `127.0.0.1:${proxy.port}`);
    await ws.send('secure via tinyproxy');
    assert.equal(await ws.receive(5000), 'secure via tinyproxy');
    await ws.close();
    // An untrusted certificate is still refused through the tunnel.
    await assert.rejects(connect(`wss://localhost:${origin.port}/`, { proxy: through(proxy) }), (e: ConnectError) => e.code === 'ERR_TLS');
    await origin.server.close();
  });

  test('the proxy refusing us: 407 without credentials', async () => {
    await assert.rejects(connect(`${server.url}/`, { proxy: through(proxy, '') }), (e: ConnectError) => {
      assert.equal(e.message, 'websocket connect failed: proxy answered 407 Proxy Authentication Required');
      assert.equal(e.code, 'ERR_PROXY');
      assert.equal(e.status, 407);
      assert.match(e.headers?.['proxy-authenticate'] ?? '', /Basic/);
      return true;
    });
  });

  test('HTTP_PROXY from the environment; NO_PROXY and proxy: false bypass it', async () => {
    const directAddress = `127.0.0.1:${server.port}`;
    await withEnv({ http_proxy: through(proxy) }, async () => {
      const proxied = await connect(`${server.url}/`);
      assert.equal(proxied.remoteAddress, `127.0.0.1:${proxy.port}`);
      await proxied.close();
      const direct = await connect(`${server.url}/`, { proxy: false });
      assert.equal(direct.remoteAddress, directAddress);
      await direct.close();
    });
    await withEnv({ HTTP_PROXY: through(proxy), NO_PROXY: `example.com, 127.0.0.1:${server.port}` }, async () => {
      const bypassed = await connect(`${server.url}/`);
      assert.equal(bypassed.remoteAddress, directAddress);
      await bypassed.close();
    });
    // HTTPS_PROXY is for wss:// only.
    await withEnv({ HTTPS_PROXY: through(proxy) }, async () => {
      const plain = await connect(`${server.url}/`);
      assert.equal(plain.remoteAddress, directAddress);
      await plain.close();
    });
  });
});

describe('a scripted proxy: refusals, garbage, silence', () => {
  async function scripted(answer: string | null, options: ConnectOptions = {}): Promise<{ error: ConnectError; request: string }> {
    let request = '';
    const fake = await rawServer((socket, head) => {
      request = head;
      if (answer !== null) socket.end(answer);
    });
    try {
      const error = await connect('ws://127.0.0.1:9/', { proxy: `http://u%40x:p%3Aw@127.0.0.1:${fake.port}`, ...options }).then(
        () => assert.fail('connected through a refusing proxy'),
        (e: ConnectError) => e,
      );
      return { error, request };
    } finally {
      fake.close();
    }
  }

  test('CONNECT with the authority form and Basic credentials (percent-decoded)', async () => {
    const { error, request } = await scripted('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="corp"\r\n\r\n');
    assert.equal(request, `CONNECT 127.0.0.1:9 HTTP/1.1\r\nHost: 127.0.0.1:9\r\nProxy-Authorization: Basic ${Buffer.from('u@x:p:w').toString('base64')}\r\n\r\n`);
    assert.equal(error.message, 'websocket connect failed: proxy answered 407 Proxy Authentication Required');
    assert.equal(error.status, 407);
    assert.equal(error.headers?.['proxy-authenticate'], 'Basic realm="corp"');
  });

  test('a 502 from the proxy', async () => {
    const { error } = await scripted('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n');
    assert.equal(error.message, 'websocket connect failed: proxy answered 502 Bad Gateway');
  });

  test('garbage, a bare-LF answer, or closing without an answer', async () => {
    const garbage = await scripted('SSH-2.0-OpenSSH\r\n\r\n');
    assert.equal(garbage.error.code, 'ERR_PROXY');
    assert.match(garbage.error.message, /^websocket connect failed: proxy 127\.0\.0\.1:\d+: invalid answer to CONNECT: invalid HTTP status line/);
    const bareLf = await scripted('HTTP/1.1 200 OK\n\n');
    assert.match(bareLf.error.message, /invalid answer to CONNECT: bare LF/);
    const closed = await scripted('');
    assert.match(closed.error.message, /proxy 127\.0\.0\.1:\d+: closed the connection before answering CONNECT/);
  });

  test('the timeout covers a proxy that never answers', async () => {
    const started = Date.now();
    const { error } = await scripted(null, { timeout: 300 });
    assert.equal(error.code, 'ETIMEDOUT');
    assert.equal(error.message, 'websocket connect failed: timed out after 0.3 s');
    assert.ok(Date.now() - started < 5000);
  });

  test('a proxy that is not listening', async () => {
    const port = await freePort();
    await assert.rejects(connect('ws://127.0.0.1:9/', { proxy: `http://127.0.0.1:${port}` }), (e: ConnectError) =>
      e.code === 'ECONNREFUSED' && e.message.startsWith(`websocket connect failed: proxy 127.0.0.1:${port}: connection refused`));
  });

  test('credentials never appear in an error; a bad %-escape in them fails before any socket is opened', async (t) => {
    let connections = 0;
    const counting = net.createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => counting.listen(0, '127.0.0.1', resolve));
    t.after(() => counting.close());
    const { port } = counting.address() as net.AddressInfo;
    const bad = connect('ws://127.0.0.1:9/', { proxy: `http://alice:50%off@127.0.0.1:${port}` });
    const shows = (e: Error, secret: RegExp): boolean => secret.test(`${e.message} ${(e.cause as Error | undefined)?.message} ${(e.cause as { input?: string } | undefined)?.input}`);
    await assert.rejects(bad, (e: Error) => e.name === 'TypeError' && /invalid %-escape/.test(e.message) && !shows(e, /50%off/));
    // A connection opened to the proxy would have reached it by the time a later one does (same listener, in order).
    const probe = net.connect(port, '127.0.0.1');
    await new Promise((resolve) => probe.once('close', resolve));
    assert.equal(connections, 1, 'only the probe reached the proxy');
    for (const proxy of ['http://alice:s3cret@[bad:1', 'alice:s3cret@[bad', 'http://alice:s3cret@:1']) {
      await assert.rejects(connect('ws://127.0.0.1:9/', { proxy }), (e: Error) => e.name === 'TypeError' && !shows(e, /s3cret|alice/));
      assert.throws(() => parseProxyUrl(proxy), (e: Error) => !/s3cret/.test(e.message));
    }
  });

  test('a bad proxy option is a TypeError before anything is sent', async () => {
    await assert.rejects(connect('ws://127.0.0.1:9/', { proxy: 'ftp://127.0.0.1:21' }), { name: 'TypeError', message: /must be an http:\/\/ \(CONNECT\) or socks5:\/\/ proxy/ });
    await assert.rejects(connect('ws://127.0.0.1:9/', { proxy: 42 } as never), { name: 'TypeError', message: /proxy must be an http:\/\/ URL string or false/ });
  });
});

describe('proxy settings from the environment (curl and undici rules)', () => {
  const ws = { secure: false, host: 'api.example.com', port: 80 };
  const wss = { secure: true, host: 'api.example.com', port: 443 };

  test('HTTP_PROXY for ws://, HTTPS_PROXY for wss://, lower case first; none without them', () => {
    const env = { HTTP_PROXY: 'http://upper:1', http_proxy: 'http://lower:2', HTTPS_PROXY: 'http://secure:3' };
    assert.equal(proxyFor(ws, undefined, env)?.host, 'lower:2');
    assert.equal(proxyFor(wss, undefined, env)?.host, 'secure:3');
    assert.equal(proxyFor(wss, undefined, { HTTP_PROXY: 'http://only-http:1' }), null);
    assert.equal(proxyFor(ws, undefined, {}), null);
    assert.equal(proxyFor(ws, undefined, { HTTP_PROXY: '  ' }), null);
    assert.equal(proxyFor(ws, false, env), null);
    assert.equal(proxyFor(ws, 'http://explicit:8080', env)?.host, 'explicit:8080');
    assert.equal(proxyFor(ws, undefined, { HTTP_PROXY: 'proxy.corp:3128' })?.href, 'http://proxy.corp:3128/');
    assert.throws(() => proxyFor(ws, undefined, { HTTP_PROXY: 'https://tls-proxy:443' }), /HTTP_PROXY must be an http:\/\/ \(CONNECT\) or socks5:\/\/ proxy/);
  });

  test('NO_PROXY: "*", domain suffixes, ports, IP addresses', () => {
    assert.equal(bypassesProxy('*', 'anything', 1), true);
    for (const entry of ['example.com', '.example.com', '*.example.com', 'EXAMPLE.com', 'other.org, example.com', 'other.org example.com']) {
      assert.equal(bypassesProxy(entry, 'api.example.com', 80), true, entry);
      assert.equal(bypassesProxy(entry, 'example.com', 80), true, entry);
    }
    assert.equal(bypassesProxy('example.com', 'badexample.com', 80), false);
    assert.equal(bypassesProxy('example.com:8080', 'example.com', 80), false);
    assert.equal(bypassesProxy('example.com:8080', 'example.com', 8080), true);
    assert.equal(bypassesProxy('127.0.0.1', '127.0.0.1', 1), true);
    assert.equal(bypassesProxy('0.0.1', '127.0.0.1', 1), false);
    assert.equal(bypassesProxy('[::1]:9000', '::1', 9000), true);
    assert.equal(bypassesProxy('::1', '::1', 9000), true);
    assert.equal(bypassesProxy('', 'example.com', 80), false);
    assert.equal(bypassesProxy(undefined, 'example.com', 80), false);
    assert.equal(proxyFor(ws, undefined, { HTTP_PROXY: 'http://p:1', no_proxy: 'example.com' }), null);
  });

  test('parseProxyUrl keeps credentials', () => {
    const url = parseProxyUrl('http://user:pa%20ss@proxy:3128');
    assert.equal(url.username, 'user');
    assert.equal(decodeURIComponent(url.password), 'pa ss');
    assert.throws(() => parseProxyUrl('http://'), TypeError);
  });
});
