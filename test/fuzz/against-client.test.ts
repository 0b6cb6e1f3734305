// `fuzz client`: the Autobahn fuzzingserver protocol, driven by our client,
// by the real `scriptling-ws autobahn` driver, and by clients that misbehave.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { connect } from '../../src/transport/client.js';
import { createFuzzingServer } from '../../src/fuzz/against-client.js';
import { selectCases } from '../../src/fuzz/select.js';
import type { CaseRun } from '../../src/fuzz/case.js';
import { ROOT, RawPeer, echo } from '../helpers.js';
import { SAMPLE } from './sample.js';

async function fuzzingServer(ids: string[]) {
  const runs: CaseRun[] = [];
  const updates: string[] = [];
  const server = createFuzzingServer({ cases: selectCases(ids), onCase: (run) => runs.push(run), onUpdateReports: (agent) => updates.push(agent) });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  /** Waits until `n` cases are judged (a case ends after the connection is gone on both sides). */
  const judged = async (n: number) => {
    while (runs.length < n) await new Promise((resolve) => setTimeout(resolve, 20));
  };
  return { server, base, runs, updates, judged };
}

test('fuzz client: our client passes the sample, driven through getCaseCount, runCase and updateReports', { timeout: 60_000 }, async () => {
  const { server, base, runs, updates, judged } = await fuzzingServer(SAMPLE);
  try {
    const counter = await connect(`${base}/getCaseCount`);
    const count = Number(await counter.receive(5000));
    await counter.close();
    assert.equal(count, SAMPLE.length);
    for (let i = 1; i <= count; i++) {
      const ws = await connect(`${base}/runCase?case=${i}&agent=ours`, { maxMessageSize: 64 * 1024 * 1024 });
      await echo(ws);
    }
    const byTuple = await connect(`${base}/runCase?casetuple=2.1&agent=ours`);
    await echo(byTuple);
    const reports = await connect(`${base}/updateReports?agent=ours`);
    assert.equal(await reports.receive(5000), null);
    await judged(count + 1);
    assert.deepEqual(updates, ['ours']);
    const bad = runs.filter((r) => !['OK', 'INFORMATIONAL'].includes(r.behavior) || !['OK', 'INFORMATIONAL'].includes(r.behaviorClose));
    assert.deepEqual(bad.map((r) => `${r.definition.id}: ${r.behavior}/${r.behaviorClose} ${r.result} ${r.resultClose}`), []);
    assert.equal(runs.find((r) => r.definition.id === '2.1' && r.index === SAMPLE.indexOf('2.1') + 1)?.agent, 'ours');
    assert.ok(runs.every((r) => r.peer.isServer));
  } finally {
    server.close();
  }
});

test('fuzz client: bad driver requests get an HTTP error, not a case', async () => {
  const { server, base, runs } = await fuzzingServer(['1.1.1']);
  try {
    for (const [path, status] of [['/runCase?case=2&agent=a', 404], ['/runCase?case=1', 400], ['/runCase?casetuple=9.9.9&agent=a', 404], ['/nothing', 404], ['/updateReports', 400]] as const) {
      await assert.rejects(connect(`${base}${path}`), (error: Error) => error.message.includes(String(status)), path);
    }
    const plain = await fetch(base.replace('ws:', 'http:'));
    assert.equal(plain.status, 426);
    assert.equal(runs.length, 0);
  } finally {
    server.close();
  }
});

test('fuzz client: a client that never answers is judged after the case timers, without hanging', { timeout: 20_000 }, async () => {
  const { server, base, runs, judged } = await fuzzingServer(['1.1.2', '2.1']);
  try {
    const { port } = new URL(base);
    const { peer: silent } = await RawPeer.handshake(Number(port), '/runCase?case=1&agent=silent');
    const { peer: pongless } = await RawPeer.handshake(Number(port), '/runCase?case=2&agent=silent');
    await judged(2);
    silent.close();
    pongless.close();
    for (const run of runs) {
      // No echo or Pong; our Close (after 1 s) gets no answer, so we drop TCP after 1 s more.
      assert.equal(`${run.behavior}/${run.behaviorClose}`, 'FAILED/UNCLEAN', run.definition.id);
      assert.equal(run.peer.wasCloseHandshakeTimeout, true);
    }
  } finally {
    server.close();
  }
});

test('fuzz client: `scriptling-ws autobahn` drives `scriptling-ws fuzz client` unchanged; the summary and exit code follow', { timeout: 60_000 }, async () => {
  const outdir = mkdtempSync(join(tmpdir(), 'fuzz-client-'));
  // Through the installed command's entry point: `scriptling-ws fuzz client …`.
  const fuzzer = spawn(process.execPath, [join(ROOT, 'dist/src/cli.js'), 'fuzz', 'client', '--port', '0', '--cases', '1.1.*,5.19,7.7.*', '--outdir', outdir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: fuzzer.stdout });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => fuzzer.on('exit', resolve));
  const url = await new Promise<string>((resolve) =>
    lines.on('line', (line) => {
      output.push(line);
      const match = /on (ws:\/\/\S+):/.exec(line);
      if (match) resolve(match[1]);
    }),
  );
  const driver = spawn(process.execPath, [join(ROOT, 'dist/src/cli.js'), 'autobahn', '--url', url, '--agent', 'cli'], { stdio: 'ignore' });
  assert.equal(await new Promise((resolve) => driver.on('exit', resolve)), 0);
  assert.equal(await exited, 0);
  const text = output.join('\n');
  assert.match(text, /1 Framing\s+8\s+8\s+0/);
  assert.match(text, /all 22 cases pass/);
  const index = JSON.parse(readFileSync(join(outdir, 'index.json'), 'utf8'));
  assert.equal(Object.keys(index.cli).length, 22);
  assert.equal(index.cli['7.7.13'].remoteCloseCode, 4999);
});
