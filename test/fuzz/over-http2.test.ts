// The fuzzer over HTTP/2 (RFC 8441), both roles: the sample of Autobahn
// cases played on extended-CONNECT streams against our server, and by our
// client against the fuzzing server's cleartext HTTP/2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { connect } from '../../src/transport/client.js';
import { playAgainstServer, serverTarget } from '../../src/fuzz/against-server.js';
import { createHttp2FuzzingServer } from '../../src/fuzz/over-http2.js';
import { selectCases } from '../../src/fuzz/select.js';
import { runAll } from '../../src/fuzz/runner.js';
import type { CaseRun } from '../../src/fuzz/case.js';
import { WebSocketServer } from '../../src/transport/server.js';
import type { UpgradeRequest } from '../../src/transport/routes.js';
import { echo, testCertificate } from '../helpers.js';
import { SAMPLE } from './sample.js';
import { RFC8441_CASES, runRfc8441, selectRfc8441 } from '../../src/fuzz/rfc8441.js';
import { main } from '../../src/fuzz/command.js';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const failures = (runs: CaseRun[]) => runs
  .filter((r) => !['OK', 'INFORMATIONAL'].includes(r.behavior) || !['OK', 'INFORMATIONAL'].includes(r.behaviorClose))
  .map((r) => `${r.definition.id}: ${r.behavior}/${r.behaviorClose} ${r.result} ${r.resultClose}`);

test('fuzz server --http2: the sample passes against our server, every case on a stream', { timeout: 120_000 }, async () => {
  const versions = new Set<string>();
  const server = new WebSocketServer({ tls: testCertificate(), http2: true, maxMessageSize: 64 * 1024 * 1024, onError: () => {} });
  server.route('/', async (ws, request: UpgradeRequest) => {
    versions.add(request.httpVersion);
    await echo(ws);
  });
  const { port } = await server.listen();
  try {
    const target = serverTarget(`wss://localhost:${port}/`, { agent: 'ours', http2: true });
    const runs = await runAll(selectCases(SAMPLE), 2, (definition, index) => playAgainstServer(target, definition, index), () => {});
    assert.deepEqual(failures(runs), []);
    assert.deepEqual([...versions], ['2.0'], 'every case came as an extended CONNECT');
    assert.match(runs[0].httpRequest!, /^:method: CONNECT\r\n:protocol: websocket/);
  } finally {
    await server.close();
  }
});

test('fuzz server --http2: a server that does not advertise extended CONNECT never opens a case, with the reason', async () => {
  const bare = http2.createSecureServer(testCertificate(), (_request, response) => response.end());
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
  try {
    const target = serverTarget(`wss://localhost:${(bare.address() as AddressInfo).port}/`, { agent: 'bare', http2: true });
    const [run] = await runAll(selectCases(['1.1.1']), 1, (definition, index) => playAgainstServer(target, definition, index), () => {});
    assert.equal(run.behavior, 'FAILED');
    assert.match(run.resultClose, /never completed.*SETTINGS_ENABLE_CONNECT_PROTOCOL/);
  } finally {
    bare.close();
  }
});

test('fuzz client --http2: our client (http2: true over h2c) passes the sample on streams', { timeout: 120_000 }, async () => {
  const runs: CaseRun[] = [];
  const updates: string[] = [];
  const cases = selectCases(SAMPLE);
  const server = createHttp2FuzzingServer({ cases, onCase: (run) => runs.push(run), onUpdateReports: (agent) => updates.push(agent) });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const options = { http2: true as const, maxMessageSize: 64 * 1024 * 1024 };
    const counter = await connect(`${base}/getCaseCount`, options);
    assert.equal(Number(await counter.receive(5000)), cases.length);
    await counter.close();
    for (let i = 1; i <= cases.length; i++) await echo(await connect(`${base}/runCase?case=${i}&agent=ours`, options));
    const reports = await connect(`${base}/updateReports?agent=ours`, options);
    assert.equal(await reports.receive(5000), null);
    while (runs.length < cases.length) await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(updates, ['ours']);
    assert.deepEqual(failures(runs), []);
    assert.match(runs[0].httpRequest!, /^CONNECT \/getCaseCount|^CONNECT \/runCase/);
    // Over HTTP/1.1 this server answers nothing: the cases above were streams.
    await assert.rejects(connect(`${base}/getCaseCount`, { timeout: 2000 }));
  } finally {
    server.close();
  }
});

test('category 16 (RFC 8441): our server passes all; a server that accepts anything fails the refusals', { timeout: 60_000 }, async () => {
  const server = new WebSocketServer({ tls: testCertificate(), http2: true, onError: () => {} });
  server.route('/', echo);
  const { port } = await server.listen();
  const sloppy = http2.createSecureServer({ ...testCertificate(), settings: { enableConnectProtocol: true } });
  sloppy.on('stream', (stream) => {
    stream.on('error', () => {});
    stream.respond({ ':status': 200 });
    stream.on('data', () => {});
  });
  await new Promise<void>((resolve) => sloppy.listen(0, '127.0.0.1', resolve));
  try {
    const target = { secure: true, host: '127.0.0.1', hostHeader: 'localhost', resource: '/' };
    const ours = await runRfc8441({ ...target, port }, selectRfc8441(['16.*']));
    assert.deepEqual(ours.map((r) => `${r.id} ${r.verdict}`), RFC8441_CASES.map((c) => `${c.id} OK`));
    const theirs = await runRfc8441({ ...target, port: (sloppy.address() as AddressInfo).port }, selectRfc8441(['16.4', '16.5']));
    assert.deepEqual(theirs.map((r) => `${r.id} ${r.verdict}`), ['16.4 FAILED', '16.5 FAILED']);
    const out = mkdtempSync(join(tmpdir(), 'fuzz-16-'));
    const log = console.log;
    console.log = () => {};
    try {
      assert.equal(await main(['server', `wss://127.0.0.1:${port}/`, '--http2', '--cases', '16.*', '--outdir', out]), 0);
    } finally {
      console.log = log;
    }
    assert.equal(JSON.parse(readFileSync(join(out, 'rfc8441.json'), 'utf8')).length, RFC8441_CASES.length);
  } finally {
    await server.close();
    sloppy.close();
  }
});
