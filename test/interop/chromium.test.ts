// Headless Chromium as a real browser client, over HTTP/2 (RFC 8441: the
// WebSocket is a stream of the session the page came on) and over HTTP/1.1
// (an upgrade), running the same page of checks against our server.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer } from '../../src/transport/server.js';
import type { WebSocket } from '../../src/transport/websocket.js';
import type { UpgradeRequest } from '../../src/transport/routes.js';
import { testCertificate } from '../helpers.js';

const CHROMIUM = ['chromium', 'chromium-browser'].find((name) => spawnSync(name, ['--version'], { stdio: 'ignore' }).status === 0);
const skip = process.env.CI ? false : CHROMIUM === undefined && 'Chromium is not installed (Debian package chromium; .ci/run installs it)';

/** The browser's side: echo checks of text, binary and a 1 MiB message, then its findings as JSON, then it waits for our Close. */
const PAGE = `<!doctype html><meta charset="utf-8"><script>
const results = {};
const ws = new WebSocket('wss://' + location.host + '/ws', ['chat.v1']);
ws.binaryType = 'arraybuffer';
let step = 0;
ws.onopen = () => { results.protocol = ws.protocol; results.extensions = ws.extensions; ws.send('text \\u00fc\\u20ac'); };
ws.onmessage = (event) => {
  step++;
  if (step === 1) { results.text = event.data; ws.send(new Uint8Array([0, 1, 2, 255]).buffer); }
  else if (step === 2) { results.binary = Array.from(new Uint8Array(event.data)); ws.send('x'.repeat(1 << 20)); }
  else if (step === 3) { results.bigLength = event.data.length; ws.send(JSON.stringify(results)); }
};
ws.onclose = (event) => fetch('/closed?' + new URLSearchParams({ code: event.code, reason: event.reason, clean: event.wasClean }));
</script>`;

interface Visit {
  page: string;
  request: UpgradeRequest;
  sameConnection: boolean;
  results: Record<string, unknown>;
  closed: URLSearchParams;
}

/** Serves PAGE, lets Chromium load it, and resolves with what both sides saw once the browser reports its close. */
async function visit(options: { http2: boolean }): Promise<Visit> {
  let pageVersion = '';
  let pagePort: number | undefined;
  let reportClosed!: (query: URLSearchParams) => void;
  const closed = new Promise<URLSearchParams>((resolve) => (reportClosed = resolve));
  const server = new WebSocketServer({
    tls: testCertificate(),
    http2: options.http2,
    onError: () => {},
    onRequest: (request, response) => {
      if (request.url?.startsWith('/closed?')) {
        reportClosed(new URLSearchParams(request.url.slice('/closed?'.length)));
        response.end();
        return;
      }
      pageVersion = request.httpVersion;
      pagePort = request.socket.remotePort;
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(PAGE);
    },
  });
  let seen!: { request: UpgradeRequest; results: Record<string, unknown> };
  server.route('/ws', async (ws: WebSocket, request) => {
    for (let i = 0; i < 3; i++) {
      const message = await ws.receive(10_000);
      if (message === null) throw new Error('the browser sent no message');
      await ws.send(message);
    }
    seen = { request, results: JSON.parse(String(await ws.receive(10_000))) };
    await ws.close(4000, 'bye from the server');
  }, { protocols: ['chat.v1'] });
  const { port } = await server.listen();
  const profile = mkdtempSync(join(tmpdir(), 'sws-chromium-'));
  const browser = spawn(CHROMIUM!, [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, '--ignore-certificate-errors',
    `https://localhost:${port}/`,
  ], { stdio: 'ignore', detached: true }); // its own process group, so its helper processes end with it
  const exited = new Promise((resolve) => browser.once('exit', resolve));
  try {
    const query = await Promise.race([closed, exited.then(() => { throw new Error('Chromium exited before the page reported'); })]);
    const sameConnection = seen.request.socket?.remotePort === pagePort;
    return { page: pageVersion, request: seen.request, sameConnection, results: seen.results, closed: query };
  } finally {
    try {
      process.kill(-browser.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
    await exited;
    await server.close();
    // A helper process may still be writing the profile as it dies: rmSync retries ENOTEMPTY itself.
    rmSync(profile, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 });
  }
}

function assertChecks(visit: Visit): void {
  assert.equal(visit.results.protocol, 'chat.v1');
  assert.match(String(visit.results.extensions), /^permessage-deflate/);
  assert.equal(visit.results.text, 'text ü€');
  assert.deepEqual(visit.results.binary, [0, 1, 2, 255]);
  assert.equal(visit.results.bigLength, 1 << 20);
  assert.deepEqual(Object.fromEntries(visit.closed), { code: '4000', reason: 'bye from the server', clean: 'true' });
}

describe('Chromium (headless) as the client', { skip, timeout: 60_000 }, () => {
  test('over HTTP/2: the WebSocket arrives as an extended CONNECT stream of the page\'s session', async () => {
    const result = await visit({ http2: true });
    assert.equal(result.page, '2.0', 'the page came over HTTP/2');
    assert.equal(result.request.httpVersion, '2.0');
    assert.equal(result.request.method, 'CONNECT');
    assert.equal('stream' in result.request && result.request.headers[':protocol'], 'websocket');
    assert.equal(result.sameConnection, true, 'the WebSocket shares the page\'s TCP connection');
    assertChecks(result);
  });

  test('over HTTP/1.1 (a server without http2): the same checks, as an upgrade', async () => {
    const result = await visit({ http2: false });
    assert.equal(result.page, '1.1');
    assert.equal(result.request.httpVersion, '1.1');
    assert.equal(result.request.method, 'GET');
    assertChecks(result);
  });
});
