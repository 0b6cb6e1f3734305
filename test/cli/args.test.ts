// The command line as a whole: usage errors print the command's usage and
// exit 2 (never an ERR_PARSE_ARGS stack), help per command, --version, the
// default command, and the reserved `fuzz`.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers.js';
import { CliProcess, runCli } from './cli-process.js';

const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describe('usage errors', { concurrency: 4 }, () => {
  const cases: Array<[string[], RegExp]> = [
    [['serve', '--port'], /--port needs a value/],
    [['--port'], /--port needs a value/],
    [['serve', '--verbose'], /--verbose does not apply to serve \(it is an option of connect, listen\)/],
    [['-c'], /unknown option -c/],
    [['echo', '--url', 'ws://x'], /--url does not apply to echo \(it is an option of autobahn\)/],
    [['nope'], /unknown command "nope"/],
    [['connect'], /connect needs a URL/],
    [['connect', 'ws://a', 'ws://b'], /unexpected argument "ws:\/\/b"/],
    [['connect', 'http://example.org/'], /unsupported URL scheme "http:" .*use ws:\/\/ or wss:\/\//],
    [['connect', '--hex', '--base64', 'ws://a'], /--hex and --base64 cannot be combined/],
    [['connect', '--timeout', '-1', 'ws://a'], /--timeout needs a value/],
    [['connect', '--timeout', 'soon', 'ws://a'], /--timeout must be a positive number of seconds/],
    [['connect', '--max-message-size', '12 parsecs', 'ws://a'], /--max-message-size must be a size/],
    [['connect', '-H', 'no colon', 'ws://a'], /-H takes "Name: value"/],
    [['connect', '--no-deflate=yes', 'ws://a'], /--no-deflate does not take a value/],
    [['echo', '--port', '70000'], /--port must be a port number from 0 to 65535/],
    [['help', 'nope'], /no command "nope"/],
  ];
  for (const [args, message] of cases) {
    test(`scriptling-ws ${args.join(' ')}`, async () => {
      const { status, stdout, stderr } = await runCli(args);
      assert.equal(status, 2);
      assert.equal(stdout, '');
      assert.match(stderr, message);
      assert.match(stderr, /^usage: scriptling-ws/m);
      assert.doesNotMatch(stderr, /ERR_PARSE_ARGS|\n\s+at /);
    });
  }
});

describe('mistakes in flag values: one line naming the flag, exit 2, that command\'s help', { concurrency: 4 }, () => {
  const cases: Array<[string[], RegExp, Record<string, string>?]> = [
    [['connect', '-s', 'bad proto', 'ws://127.0.0.1:9/'], /^scriptling-ws: invalid subprotocol "bad proto" in -s: each must be an HTTP token/],
    [['connect', '-s', 'a', '-s', 'a', 'ws://127.0.0.1:9/'], /^scriptling-ws: subprotocol "a" is listed twice in -s/],
    [['connect', '-H', 'Bad Name: x', 'ws://127.0.0.1:9/'], /^scriptling-ws: -H: invalid header name "Bad Name"/],
    [['connect', '-H', 'Upgrade: h2c', 'ws://127.0.0.1:9/'], /^scriptling-ws: -H: header Upgrade is set by the WebSocket handshake/],
    [['connect', '-H', 'Sec-WebSocket-Protocol: chat', 'ws://127.0.0.1:9/'], /^scriptling-ws: -H Sec-WebSocket-Protocol: offer subprotocols with -s NAME/],
    [['connect', '-H', 'Origin: http://a', '-o', 'http://b', 'ws://127.0.0.1:9/'], /^scriptling-ws: give the Origin with -o or with -H, not both/],
    [['connect', '--proxy', 'ftp://proxy:21', 'ws://127.0.0.1:9/'], /^scriptling-ws: --proxy must be/],
    [['connect', 'ws://127.0.0.1:9/'], /^scriptling-ws: HTTP_PROXY must be/, { HTTP_PROXY: 'ftp://proxy:21' }],
    [['connect', '--wait', 'inf', 'ws://127.0.0.1:9/'], /^scriptling-ws: --wait must be a non-negative number of seconds, not "inf"/],
    [['connect', '--timeout', 'abc', 'ws://127.0.0.1:9/'], /^scriptling-ws: --timeout must be a positive number of seconds/],
    [['connect', '--ca', '/nonexistent', 'ws://127.0.0.1:9/'], /^scriptling-ws: --ca: cannot read \/nonexistent: ENOENT/],
    [['listen', '--port', '0', '-s', 'bad proto'], /^scriptling-ws: invalid subprotocol "bad proto" in -s/],
    [['connect', '--proxy', 'http://alice:s3cret%zz@127.0.0.1:9', 'ws://127.0.0.1:9/'], /^scriptling-ws: --proxy: the user name or password has an invalid %-escape/],
    [['connect', '--proxy', 'http://alice:s3cret@[bad:1', 'ws://127.0.0.1:9/'], /^scriptling-ws: --proxy is not a valid URL: "http:\/\/\*\*\*@\[bad:1"/],
    [['connect', 'ws://127.0.0.1:9/'], /^scriptling-ws: HTTP_PROXY: the user name or password has an invalid %-escape/, { HTTP_PROXY: 'http://alice:s3cret%@127.0.0.1:9' }],
  ];
  for (const [args, message, env] of cases) {
    test(`scriptling-ws ${args.join(' ')}${env ? ` with ${Object.keys(env).join(', ')}` : ''}`, async () => {
      const { status, stdout, stderr } = await runCli(args, '', { env: { HTTP_PROXY: '', HTTPS_PROXY: '', NO_PROXY: '', no_proxy: '', ...env } });
      assert.equal(status, 2, stderr);
      assert.equal(stdout, '');
      assert.match(stderr, message);
      assert.match(stderr, new RegExp(`^usage: scriptling-ws ${args[0]} `, 'm'), 'the help of that command, not the list of commands');
      assert.doesNotMatch(stderr, /TypeError|\n\s+at |\{ protocols/);
      assert.doesNotMatch(stderr, /s3cret|alice/, 'no credentials printed');
    });
  }
});

describe('help and version', () => {
  test('help <command> and <command> --help show that command\'s own flags', async () => {
    const viaHelp = await runCli(['help', 'connect']);
    const viaFlag = await runCli(['connect', '--help']);
    assert.equal(viaHelp.status, 0);
    assert.equal(viaHelp.stdout, viaFlag.stdout);
    assert.match(viaHelp.stdout, /^usage: scriptling-ws connect URL \[options\]/);
    for (const flag of ['-H, --header', '-s, --subprotocol', '--origin', '--ca', '--cert', '--key', '--passphrase', '-k, --insecure', '--proxy', '--no-deflate',
      '-x, --execute', '-w, --wait', '-1, --one-message', '--binary', '--hex', '--base64', '--ping-interval', '-P, --show-ping-pong', '-v, --verbose',
      '--max-message-size', '--timeout']) {
      assert.ok(viaHelp.stdout.includes(flag), flag);
    }
    assert.match(viaHelp.stdout, /exit status:\n {2}0 {2}normal close: 1000, 1001/);
    const listen = await runCli(['listen', '-h']);
    assert.match(listen.stdout, /--echo/);
    assert.doesNotMatch(listen.stdout, /--execute/);
  });

  test('--help lists every command; --version and -V print the version', async () => {
    const { stdout } = await runCli(['--help']);
    for (const command of ['connect', 'listen', 'serve', 'echo', 'autobahn', 'fuzz']) assert.match(stdout, new RegExp(`^  ${command} `, 'm'));
    for (const args of [['--version'], ['-V'], ['connect', '--version']]) assert.equal((await runCli(args)).stdout, `${version}\n`);
  });

  test('no command is serve: options alone go to it; Ctrl-C closes it with exit 0', async () => {
    const cli = new CliProcess(['--port', '0']);
    const [, page] = await cli.waitFor(/page: +(http:\/\/\S+)/);
    assert.equal((await fetch(page)).status, 200);
    cli.kill('SIGINT');
    assert.equal(await cli.status(), 0);
    assert.match(cli.stdout, /closing connections \(1001\)/);
  });

  test('a port in use: one line, exit 1', async () => {
    const busy = new CliProcess(['echo', '--port', '0']);
    const [, port] = await busy.waitFor(/ws:\/\/127\.0\.0\.1:(\d+)/);
    const { status, stderr } = await runCli(['serve', '--port', port]);
    busy.kill('SIGINT');
    await busy.status();
    assert.equal(status, 1);
    assert.match(stderr, /^scriptling-ws: listen EADDRINUSE: address already in use 127\.0\.0\.1:\d+\n$/);
  });

  test('--max-message-size is in bytes (with k, m, g) for connect, listen and fuzz alike', { skip: !existsSync(join(ROOT, 'dist', 'src', 'fuzz', 'command.js')) && 'fuzz is not in this build' }, async () => {
    const outdir = mkdtempSync(join(tmpdir(), 'sws-fuzz-size-'));
    const run = await runCli(['fuzz', 'server', 'ws://127.0.0.1:9', '--cases', '1.1.1', '--max-message-size', '64k', '--outdir', outdir]);
    assert.equal(run.status, 1, `64k is a size (the case fails: nothing listens):\n${run.stderr}`);
    const zero = await runCli(['fuzz', 'server', 'ws://127.0.0.1:9', '--max-message-size', '0']);
    assert.equal(zero.status, 2);
    assert.match(zero.stderr, /--max-message-size must be a size in bytes \(e\.g\. 65536, 64k, 16m\), not "0"/);
    const help = await runCli(['fuzz', '--help']);
    assert.match(help.stdout, /--max-message-size SIZE .*in bytes/);
    for (const command of ['connect', 'listen']) assert.match((await runCli([command, '--help'])).stdout, /--max-message-size SIZE +largest message accepted, in bytes/);
  });

  test('fuzz runs src/fuzz/command.js when the build has it, else says it is not available (exit 2)', async () => {
    const { status, stderr } = await runCli(['fuzz', '--help']);
    if (existsSync(join(ROOT, 'dist', 'src', 'fuzz', 'command.js'))) {
      assert.doesNotMatch(stderr, /not available in this build/);
    } else {
      assert.equal(status, 2);
      assert.equal(stderr, 'scriptling-ws: fuzz is not available in this build\n');
    }
  });
});
