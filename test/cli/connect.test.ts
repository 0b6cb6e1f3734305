// `scriptling-ws connect`: piped, -x, one-message and interactive (on a
// pseudo-terminal) modes against our server and Python `websockets`, every
// flag that the engine supports today, and the exit statuses of --help.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type http from 'node:http';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WebSocket } from '../../src/transport/websocket.js';
import { ROOT, echo, rawServer, requestKey, startServer, switching, testCertificate } from '../helpers.js';
import { CLI, CliProcess, runCli } from './cli-process.js';

const PYTHON = '/usr/bin/python3';
const HERE = join(ROOT, 'test', 'cli');
function hasPythonWebsockets(): boolean {
  return spawnSync(PYTHON, ['-c', 'import websockets'], { stdio: 'ignore' }).status === 0;
}

/** Every server a test starts is closed after it, passed or failed. */
const servers: Array<{ close(): unknown }> = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});
async function tracked(...args: Parameters<typeof startServer>) {
  const started = await startServer(...args);
  servers.push(started.server);
  return started;
}

interface Seen {
  messages: Array<string | Buffer>;
  closes: Array<{ code: number; reason: string } | null>;
  requests: http.IncomingMessage[];
  extensions: string[];
}

/** A server that records what each client sent, how it closed, and its request; `reply` answers each message. */
async function recordingServer(reply: (ws: WebSocket, message: string | Buffer) => Promise<unknown> = async (ws, m) => ws.send(m), options = {}) {
  const seen: Seen = { messages: [], closes: [], requests: [], extensions: [] };
  const started = await tracked({
    '/': async (ws: WebSocket, request?: unknown) => {
      seen.requests.push(request as http.IncomingMessage);
      seen.extensions.push(ws.extensions);
      for (let m = await ws.receive(); m !== null; m = await ws.receive()) {
        const message = typeof m === 'string' || Buffer.isBuffer(m) ? m : Buffer.from(m);
        seen.messages.push(message);
        await reply(ws, message).catch(() => {});
      }
      seen.closes.push(ws.closeInfo);
    },
  }, options);
  return { ...started, seen };
}

describe('connect, piped', () => {
  test('each stdin line is one text message; each received message one stdout line; exit 0 after a normal close', async () => {
    const { server, url, seen } = await recordingServer();
    const { status, stdout } = await runCli(['connect', url], 'hello\nwörld\r\n\nlast without newline');
    await server.close();
    assert.equal(status, 0);
    assert.deepEqual(seen.messages, ['hello', 'wörld', '', 'last without newline']);
    assert.equal(stdout, 'hello\nwörld\n\nlast without newline\n');
    assert.equal(seen.closes[0]?.code, 1000);
  });

  test('--null: NUL-terminated records in and out, newlines kept inside messages', async () => {
    const { server, url, seen } = await recordingServer();
    const { status, stdout } = await runCli(['connect', '--null', url], 'line one\nline two\0second\0');
    await server.close();
    assert.equal(status, 0);
    assert.deepEqual(seen.messages, ['line one\nline two', 'second']);
    assert.equal(stdout, 'line one\nline two\0second\0');
  });

  test('--hex and --base64 send binary and print binary that way; text stays text; a bad line is refused, not sent (exit 2)', async () => {
    const { server, url, seen } = await recordingServer(async (ws, m) => {
      await ws.send(m);
      await ws.send('text reply');
    });
    const hex = await runCli(['connect', '--hex', url], '01 02 ff\nzz\n00:7f\n');
    assert.equal(hex.status, 2, 'a refused input line is not a success');
    assert.match(hex.stderr, /1 input record\(s\) refused \(not sent\)/);
    assert.deepEqual(seen.messages.splice(0), [Buffer.from([1, 2, 255]), Buffer.from([0, 127])]);
    assert.equal(hex.stdout, '0102ff\ntext reply\n007f\ntext reply\n');
    assert.match(hex.stderr, /not hex bytes: "zz" \(not sent\)/);
    const base64 = await runCli(['connect', '--base64', url], 'AQL/\n');
    await server.close();
    assert.equal(base64.status, 0);
    assert.deepEqual(seen.messages, [Buffer.from([1, 2, 255])]);
    assert.equal(base64.stdout, 'AQL/\ntext reply\n');
  });

  test('a message with a line break: said once on stderr; --json keeps one message per line and says text or binary', async () => {
    const { server, url } = await tracked({
      '/': async (ws: WebSocket) => {
        await ws.send('two\nlines');
        await ws.send(Buffer.from([1, 2, 0xff]));
        await ws.send('\x1b[2J\u0085');
        await ws.send('x\ny');
      },
    });
    const piped = await runCli(['connect', url]);
    assert.equal(piped.status, 0);
    assert.equal(piped.stdout, 'two\nlines\n0102ff\n\x1b[2J\u0085\nx\ny\n');
    assert.equal(piped.stderr.match(/a message holds a line break: to keep one message per record, use -0 \(NUL-separated\) or --json/g)?.length, 1);
    const json = await runCli(['connect', '--json', url]);
    assert.equal(json.status, 0);
    assert.equal(json.stderr, '');
    const lines = json.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 4);
    assert.deepEqual(lines.map((line) => JSON.parse(line)), [
      { type: 'text', data: 'two\nlines' }, { type: 'binary', data: '0102ff' }, { type: 'text', data: '\x1b[2J\u0085' }, { type: 'text', data: 'x\ny' },
    ]);
    assert.doesNotMatch(json.stdout, /[\x00-\x09\x0b-\x1f\x7f-\x9f]/, 'no raw control character');
    const base64 = await runCli(['connect', '--json', '--base64', url]);
    assert.deepEqual(JSON.parse(base64.stdout.split('\n')[1]), { type: 'binary', data: 'AQL/' });
    await server.close();
  });

  test('--binary sends each line as bytes and writes received binary raw; binary is hex by default', async () => {
    const { server, url, seen } = await recordingServer();
    const raw = await runCli(['connect', '--binary', url], 'héllo\n');
    assert.equal(raw.status, 0);
    assert.deepEqual(seen.messages.splice(0), [Buffer.from('héllo')]);
    assert.deepEqual(Buffer.concat(raw.process.stdoutChunks), Buffer.from('héllo\n'));
    const { server: binaryServer, url: binaryUrl } = await tracked({ '/': async (ws: WebSocket) => ws.send(Buffer.from([0xde, 0xad])) });
    const plain = await runCli(['connect', '-1', binaryUrl]);
    await Promise.all([server.close(), binaryServer.close()]);
    assert.equal(plain.stdout, 'dead\n');
  });

  test('-H (repeatable) and --origin reach the server; --no-deflate offers no compression', async () => {
    const { server, url, seen } = await recordingServer();
    const first = await runCli(['connect', '-H', 'X-One: 1', '-H', 'X-Two:  two words ', '--origin', 'https://example.test', url], 'x\n');
    const second = await runCli(['connect', '--no-deflate', url], 'y\n');
    await server.close();
    assert.equal(first.status, 0);
    assert.equal(second.status, 0);
    assert.equal(seen.requests[0].headers['x-one'], '1');
    assert.equal(seen.requests[0].headers['x-two'], 'two words');
    assert.equal(seen.requests[0].headers.origin, 'https://example.test');
    assert.deepEqual(seen.extensions, ['permessage-deflate', '']);
    assert.equal(seen.requests[1].headers['sec-websocket-extensions'], undefined);
  });

  test('-x sends each message, waits -w seconds for replies, then closes with 1000', async () => {
    const { server, url, seen } = await recordingServer(async (ws, m) => {
      await ws.send(`re: ${m}`);
      if (m === 'two') await ws.close(); // ends the wait before its 60 s
    });
    const { status, stdout } = await runCli(['connect', '-x', 'one', '-x', 'two', '-w', '60', url], 'stdin is not read\n');
    await server.close();
    assert.equal(status, 0);
    assert.deepEqual(seen.messages, ['one', 'two']);
    assert.equal(stdout, 're: one\nre: two\n');
  });

  test('-x with --wait forever (or --wait=-1) stays open until the server closes', async () => {
    for (const wait of [['--wait', 'forever'], ['--wait=-1']]) {
      const { server, url } = await tracked({
        '/': async (ws: WebSocket) => {
          await ws.send(`echo ${await ws.receive(5000)}`);
          await ws.send('later');
          await ws.close(4000, 'server done');
        },
      });
      const { status, stdout, stderr } = await runCli(['connect', '-x', 'hi', ...wait, url]);
      await server.close();
      assert.equal(status, 7, stderr); // closed by the server with 4000, not by us with 1000
      assert.equal(stdout, 'echo hi\nlater\n');
      assert.match(stderr, /connection closed: 4000 server done/);
    }
  });

  test('-L follows redirects (up to 10); without it a redirect is the error', async () => {
    const { server: target, port } = await startServer({ '/final': echo });
    servers.push(target);
    const hop = await rawServer((s) => s.end(`HTTP/1.1 307 Moved\r\nLocation: ws://127.0.0.1:${port}/final\r\nContent-Length: 0\r\n\r\n`));
    servers.push(hop);
    const followed = await runCli(['connect', '-L', `ws://127.0.0.1:${hop.port}/`], 'through\n');
    assert.equal(followed.status, 0, followed.stderr);
    assert.equal(followed.stdout, 'through\n');
    const refused = await runCli(['connect', `ws://127.0.0.1:${hop.port}/`], 'through\n');
    assert.equal(refused.status, 3);
    assert.match(refused.stderr, /unexpected HTTP status 307/);
  });

  test('-1 prints the first message only, then closes normally', async () => {
    const { server, url, seen } = await recordingServer(async (ws) => {
      await ws.send('first');
      await ws.send('second');
    });
    const { status, stdout } = await runCli(['connect', '-1', '-x', 'go', url]);
    await server.close();
    assert.equal(status, 0);
    assert.equal(stdout, 'first\n');
    assert.equal(seen.closes[0]?.code, 1000);
  });

  test('--show-ping-pong prints the pings the server sends (to stderr; stdout keeps only messages)', async () => {
    const { server, url } = await tracked({
      '/': async (ws: WebSocket) => {
        await ws.receive(10_000); // a ping sent with the 101 would come before the CLI listens
        await ws.ping(Buffer.from('are you there'));
        await ws.send('after the ping');
      },
    });
    const cli = new CliProcess(['connect', '-P', url]);
    cli.write('go\n');
    await cli.waitFor(/ping received: "are you there"/, 'stderr');
    cli.end();
    assert.equal(await cli.status(), 0);
    await server.close();
    assert.equal(cli.stdout, 'after the ping\n');
  });

  test('--show-ping-pong sees a Ping sent in the same packet as the 101', async () => {
    const early = Buffer.from([0x89, 5, ...Buffer.from('early'), 0x88, 2, 0x03, 0xe8]); // Ping "early", Close 1000
    const server = await rawServer((s, request) => s.end(Buffer.concat([Buffer.from(switching(requestKey(request)), 'latin1'), early])));
    servers.push(server);
    const { status, stderr } = await runCli(['connect', '-P', `ws://127.0.0.1:${server.port}/`]);
    assert.equal(status, 0, stderr);
    assert.match(stderr, /ping received: "early"/);
  });

  test('--max-message-size: a bigger message fails the connection with 1009 (exit 5)', async () => {
    const { server, url } = await tracked({ '/': async (ws: WebSocket) => { await ws.send('x'.repeat(2048)); await ws.receive(5000); } });
    const { status, stdout, stderr } = await runCli(['connect', '--max-message-size', '1k', url]);
    await server.close();
    assert.equal(status, 5);
    assert.equal(stdout, '');
    assert.match(stderr, /connection closed: 1009/);
  });

  test('Ctrl-C closes with 1000 and exits 0 while stdin is still open', async () => {
    const { server, url, seen } = await recordingServer();
    const cli = new CliProcess(['connect', url]);
    cli.write('before\n');
    await cli.waitFor(/^before\n/);
    cli.kill('SIGINT');
    assert.equal(await cli.status(), 0);
    await server.close();
    assert.equal(seen.closes[0]?.code, 1000);
  });

  test('a reader that goes away (| head -1) ends it quietly with exit 0', async () => {
    const { url } = await tracked({
      '/': async (ws: WebSocket) => {
        for (let i = 0; ws.connected; i++) {
          await ws.send(`message ${i}`).catch(() => {});
          await new Promise((resolve) => setImmediate(resolve)); // let I/O run between sends
        }
      },
    });
    const cli = new CliProcess(['connect', url]);
    await cli.waitFor(/message 0\n/);
    cli.closeStdout();
    assert.equal(await cli.status(), 0);
    assert.equal(cli.stderr, '');
  });

  test('a reader slower than the server: the server is held back (nothing piles up in memory) and no message is lost', async (t) => {
    const total = 64;
    const body = 'x'.repeat(1024 * 1024);
    let sent = 0;
    let progress = () => {};
    const { server, url } = await tracked({
      '/': async (ws: WebSocket) => {
        for (let i = 0; i < total; i++) {
          await ws.send(`${i} ${body}`);
          sent++;
          progress();
        }
      },
    });
    // Without compression: 'x' × 1 MiB would deflate to 1 KiB and fit in any buffer.
    const child = spawn(process.execPath, [CLI, 'connect', '--no-deflate', url], { stdio: ['pipe', 'pipe', 'pipe'] });
    t.after(() => child.kill('SIGKILL'));
    // Nobody reads the child's stdout yet. The server stalls once the CLI stops taking its messages;
    // the old CLI kept reading into stdout's buffer, so every send went through at once.
    const outcome = await new Promise<'stalled' | 'all sent'>((resolve) => {
      let watchdog = setTimeout(() => resolve('stalled'), 3000);
      progress = () => {
        clearTimeout(watchdog);
        if (sent === total) resolve('all sent');
        else watchdog = setTimeout(() => resolve('stalled'), 3000);
      };
    });
    progress = () => {};
    assert.equal(outcome, 'stalled', `the server sent all ${total} MiB to a CLI whose stdout is not read`);
    assert.ok(sent < total);
    const lines = createInterface({ input: child.stdout, crlfDelay: Infinity });
    let count = 0;
    for await (const line of lines) {
      assert.equal(line.slice(0, line.indexOf(' ')), String(count), 'in order, none lost');
      count++;
    }
    assert.equal(count, total);
    const status = await new Promise((resolve) => child.once('close', resolve));
    assert.equal(status, 0);
    await server.close();
  });

  test('against Python websockets: lines echoed, normal close', { skip: !hasPythonWebsockets() && !process.env.CI && 'python3-websockets is not installed' }, async () => {
    const python = spawn(PYTHON, [join(HERE, 'python_peer.py'), 'echo-server'], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const line = await new Promise<string>((resolve) => createInterface({ input: python.stdout }).once('line', resolve));
      const port = /PORT (\d+)/.exec(line)![1];
      // -1: Python echoes from its handler task, so an echo can still be on its way when stdin's end
      // makes us close (the peer then drops it, §7.1.2); waiting for the one message makes the test exact.
      const { status, stdout } = await runCli(['connect', '-1', '--hex', `ws://127.0.0.1:${port}/`], 'c0ffee\n');
      assert.equal(status, 0);
      assert.equal(stdout, 'c0ffee\n');
      const text = await runCli(['connect', '-1', `ws://127.0.0.1:${port}/`], 'from the CLI\n');
      assert.equal(text.stdout, 'from the CLI\n');
    } finally {
      python.stdin.end();
      python.kill();
    }
  });
});

describe('connect, exit statuses (as listed in --help)', () => {
  const closing = (code: number | null) => async (ws: WebSocket) => {
    if (code === null) ws.terminate();
    else await ws.close(code, 'bye');
  };
  test('the server closes with 1000, 1001 → 0; 1002 → 5; 1008 → 7; 1011, 1013 → 6; 4000 → 7; no Close frame → 4', async () => {
    const cases = [[1000, 0], [1001, 0], [1002, 5], [1008, 7], [1011, 6], [1013, 6], [4000, 7], [null, 4]] as const;
    const routes: Record<string, (ws: WebSocket) => unknown> = {};
    for (const [code] of cases) routes[`/${code}`] = closing(code);
    const { url } = await tracked(routes);
    // One CLI per close code, all at once: each is its own process.
    await Promise.all(cases.map(async ([code, expected]) => {
      const { status, stderr } = await runCli(['connect', `${url}/${code}`]);
      assert.equal(status, expected, `close ${code}: ${stderr}`);
      if (expected !== 0) assert.match(stderr, new RegExp(`connection closed: ${code ?? 1006}`));
    }));
  });

  test('a handler that throws closes with 1011 → exit 6', async () => {
    const { server, url } = await tracked({ '/': async () => { throw new Error('boom'); } });
    const { status } = await runCli(['connect', url]);
    await server.close();
    assert.equal(status, 6);
  });

  test('connect failures → exit 3 with one line: refused, HTTP 404, timeout', async () => {
    const { server, url, port } = await tracked({ '/': echo });
    const silent = await rawServer(() => {});
    servers.push(silent);
    const [notFound, timedOut] = await Promise.all([
      runCli(['connect', `${url}/nowhere`]),
      runCli(['connect', '--timeout', '0.3', `ws://127.0.0.1:${silent.port}/`]),
    ]);
    assert.equal(notFound.status, 3);
    assert.match(notFound.stderr, /^scriptling-ws: websocket connect failed: .*404/);
    assert.equal(notFound.stderr.trim().split('\n').length, 1);
    await server.close();
    const refused = await runCli(['connect', `ws://127.0.0.1:${port}/`]);
    assert.equal(refused.status, 3);
    assert.match(refused.stderr, /connection refused/);
    assert.equal(timedOut.status, 3);
    assert.match(timedOut.stderr, /timed out after 0.3 s/);
  });

  test('wss: an unknown CA → exit 3; --ca or -k → connected', async () => {
    const { key, cert } = testCertificate();
    const { server, port } = await tracked({ '/': echo }, { tls: { key, cert } });
    const url = `wss://localhost:${port}/`;
    const dir = mkdtempSync(join(tmpdir(), 'sws-ca-'));
    writeFileSync(join(dir, 'ca.pem'), cert);
    const [untrusted, trusted, insecure, missing] = await Promise.all([
      runCli(['connect', url], 'x\n'),
      runCli(['connect', '--ca', join(dir, 'ca.pem'), url], 'secure\n'),
      runCli(['connect', '-k', url], 'anyway\n'),
      runCli(['connect', '--ca', join(dir, 'nope.pem'), url]),
    ]);
    await server.close();
    assert.equal(untrusted.status, 3);
    assert.match(untrusted.stderr, /TLS|certificate/);
    assert.equal(trusted.status, 0, trusted.stderr);
    assert.equal(trusted.stdout, 'secure\n');
    assert.equal(insecure.stdout, 'anyway\n');
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /--ca: cannot read .*nope\.pem: ENOENT/);
  });
});

describe('connect, client certificates', () => {
  test('--cert/--key (and --passphrase for an encrypted key) pass mutual TLS; without them the handshake fails (exit 3)', async () => {
    const { key, cert } = testCertificate();
    const dir = mkdtempSync(join(tmpdir(), 'sws-mtls-'));
    writeFileSync(join(dir, 'cert.pem'), cert);
    writeFileSync(join(dir, 'key.pem'), key);
    execFileSync('openssl', ['pkey', '-in', join(dir, 'key.pem'), '-aes256', '-passout', 'pass:s3cret', '-out', join(dir, 'encrypted.pem')]);
    // The test certificate is self-signed, so it is its own CA on both sides.
    const { port } = await tracked({ '/': echo }, { tls: { key, cert, ca: cert, requestCert: true, rejectUnauthorized: true } });
    const url = `wss://localhost:${port}/`;
    const ca = ['--ca', join(dir, 'cert.pem')];
    const [withKey, withEncryptedKey, without] = await Promise.all([
      runCli(['connect', ...ca, '--cert', join(dir, 'cert.pem'), '--key', join(dir, 'key.pem'), url], 'mutual\n'),
      runCli(['connect', ...ca, '--cert', join(dir, 'cert.pem'), '--key', join(dir, 'encrypted.pem'), '--passphrase', 's3cret', url], 'encrypted\n'),
      runCli(['connect', ...ca, url], 'anonymous\n'),
    ]);
    assert.equal(withKey.stdout, 'mutual\n', withKey.stderr);
    assert.equal(withEncryptedKey.stdout, 'encrypted\n', withEncryptedKey.stderr);
    assert.equal(without.status, 3);
    assert.equal(without.stdout, '');
  });
});

describe('connect, interactive on a terminal', () => {
  test('prompt, messages as they come, /ping with its RTT, /binary, /close CODE → that exit status', async () => {
    const { server, url, seen } = await recordingServer();
    const cli = new CliProcess(['connect', url], { tty: true });
    await cli.waitFor(/\/help lists the commands/);
    await cli.waitFor(/> /);
    cli.write('hello there\r');
    await cli.waitFor(/< hello there/);
    cli.write(`/ping ${'x'.repeat(126)}\r`);
    await cli.waitFor(/error: a ping carries at most 125 bytes/);
    cli.write('/ping abc\r');
    await cli.waitFor(/pong: \d+\.\d ms/);
    cli.write('/binary 01 02 ff\r');
    await cli.waitFor(/< \[binary\] 0102ff/);
    cli.write('//slash\r');
    await cli.waitFor(/< \/slash/);
    cli.write('/nope\r');
    await cli.waitFor(/unknown command \/nope/);
    cli.write('/close 999\r');
    await cli.waitFor(/error: close code 999 cannot be sent/);
    cli.write('/binary xyz\r');
    await cli.waitFor(/error: not hex bytes: "xyz"/);
    cli.write('/close 4001 done here\r');
    assert.equal(await cli.status(), 7);
    await server.close();
    assert.deepEqual(seen.messages, ['hello there', Buffer.from([1, 2, 255]), '/slash']);
    assert.equal(seen.closes[0]?.code, 4001);
    assert.equal(seen.closes[0]?.reason, 'done here');
    assert.match(cli.stdout, /connection closed: 4001/);
  });

  test('on a terminal, control characters from the peer are shown escaped (window title, clipboard, clear screen); --raw prints them', async () => {
    const hostile = '\x1b]0;pwned\x07\x1b]52;c;ZWNobyBoaQ==\x07\x1b[2J\\done\r\n';
    const { server, url } = await tracked({
      '/': async (ws: WebSocket) => {
        await ws.send(hostile);
        await ws.receive(10_000);
      },
    });
    const cli = new CliProcess(['connect', url], { tty: true });
    await cli.waitFor(/< .*done/);
    assert.ok(cli.stdout.includes('< \\e]0;pwned\\x07\\e]52;c;ZWNobyBoaQ==\\x07\\e[2J\\\\done\\r\\n'), JSON.stringify(cli.stdout));
    assert.doesNotMatch(cli.stdout, /\x1b\]/);
    cli.write('/quit\r');
    assert.equal(await cli.status(), 0);
    const raw = new CliProcess(['connect', '--raw', url], { tty: true });
    await raw.waitFor(/done/);
    assert.match(raw.stdout, /\x1b\]0;pwned\x07/);
    raw.write('/quit\r');
    assert.equal(await raw.status(), 0);
    await server.close();
  });

  test('/quit (and Ctrl-D) closes with 1000 → exit 0; /help lists the commands', async () => {
    const { server, url, seen } = await recordingServer();
    const cli = new CliProcess(['connect', url], { tty: true });
    await cli.waitFor(/> /);
    cli.write('/help\r');
    await cli.waitFor(/\/close \[code \[reason\]\]/);
    cli.write('/quit\r');
    assert.equal(await cli.status(), 0);
    const eof = new CliProcess(['connect', url], { tty: true });
    await eof.waitFor(/> /);
    eof.write('\x04');
    assert.equal(await eof.status(), 0);
    await server.close();
    assert.deepEqual(seen.closes.map((c) => c?.code), [1000, 1000]);
  });
});

describe('connect, flags for subprotocols, handshake heads, keepalive and proxies', () => {
  test('-s offers subprotocols; the server picks one (shown by -v)', async () => {
    const { server, url } = await tracked({ '/': echo });
    server.route('/', echo, { protocols: ['two', 'one'] });
    const { status, stderr } = await runCli(['connect', '-v', '-s', 'one', '-s', 'two', url], 'x\n');
    await server.close();
    assert.equal(status, 0);
    assert.match(stderr, /subprotocol: two/);
  });

  test('-v prints the request and response heads', async () => {
    const { server, url } = await tracked({ '/': echo });
    const { stderr } = await runCli(['connect', '-v', url], 'x\n');
    await server.close();
    assert.match(stderr, /^> GET \/ HTTP\/1\.1$/m);
    assert.match(stderr, /^< HTTP\/1\.1 101 Switching Protocols$/m);
  });

  test('--ping-interval sends keepalive pings', async () => {
    let pings = 0;
    const { server, url } = await tracked({
      '/': async (ws: WebSocket) => {
        ws.onping = () => {
          if (++pings === 2) void ws.send('two pings');
        };
        await ws.receive(2000);
      },
    });
    const { stdout } = await runCli(['connect', '-1', '--ping-interval', '0.05', url]);
    await server.close();
    assert.equal(stdout, 'two pings\n');
  });

  test('--proxy (and HTTP_PROXY) go through an HTTP CONNECT proxy', async () => {
    const { server, url } = await tracked({ '/': echo });
    const refusing = await rawServer((socket) => socket.end('HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n'));
    const flag = await runCli(['connect', '--proxy', `http://127.0.0.1:${refusing.port}`, url], 'x\n');
    const env = await runCli(['connect', url], 'x\n', { env: { HTTP_PROXY: `http://127.0.0.1:${refusing.port}`, NO_PROXY: '', no_proxy: '' } });
    refusing.close();
    await server.close();
    for (const run of [flag, env]) {
      assert.equal(run.status, 3);
      assert.match(run.stderr, /proxy answered 407/);
    }
  });

  test('/pong sends an unsolicited pong', async () => {
    const pongs: string[] = [];
    const { server, url } = await tracked({
      '/': async (ws: WebSocket) => {
        ws.onpong = (data) => pongs.push(data.toString());
        await ws.receive(10_000);
      },
    });
    const cli = new CliProcess(['connect', url], { tty: true });
    await cli.waitFor(/> /);
    cli.write('/pong hi\r');
    cli.write('/quit\r');
    assert.equal(await cli.status(), 0);
    await server.close();
    assert.deepEqual(pongs, ['hi']);
  });
});
