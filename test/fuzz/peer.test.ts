// A conformance tool must survive the peers it judges: floods of frames,
// Pings it never reads the answers to. Each case ends with a verdict and a
// bounded log; the run ends with its report and exit code 1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { main } from '../../src/fuzz/command.js';
import { playAgainstServer, serverTarget } from '../../src/fuzz/against-server.js';
import { createFuzzingServer } from '../../src/fuzz/against-client.js';
import { selectCases } from '../../src/fuzz/select.js';
import type { CaseRun } from '../../src/fuzz/case.js';
import { WireLog } from '../../src/fuzz/wire-log.js';
import { clientFrame, frame, quiet, rawServer, requestKey, switching } from '../helpers.js';

/** Writes `unit` `times` times, respecting backpressure. */
function flood(socket: net.Socket, unit: Buffer, times: number): void {
  const batch = Buffer.concat(Array.from({ length: 1000 }, () => unit));
  let left = Math.ceil(times / 1000);
  const more = () => {
    while (left > 0 && !socket.destroyed) {
      left--;
      if (!socket.write(batch)) return void socket.once('drain', more);
    }
  };
  more();
}

test('wire log: keeps the first and last octets and counts the entries and octets between', () => {
  const log = new WireLog({ headOctets: 1000, tailOctets: 1000 });
  for (let i = 0; i < 10_000; i++) log.rxOctets(Buffer.alloc(10, i & 0xff));
  const entries = log.entries;
  const omitted = entries.findIndex((e) => e[0] === 'OMITTED');
  assert.ok(omitted > 0, 'an OMITTED entry between head and tail');
  // Each entry counts 10 octets shown + 64: 13 fit in 1000.
  assert.equal(omitted, 13);
  assert.equal(entries.length - omitted - 1, 13);
  assert.equal(entries[omitted][1], 10_000 - 26);
  assert.equal(entries[omitted][2], (10_000 - 26) * 10);
  // The tail is the last entries, in order.
  assert.deepEqual(entries.at(-1), ['RO', [10, Buffer.alloc(10, 9_999 & 0xff).toString('hex')]]);
  assert.equal(log.rxOctetStats[10], 10_000, 'statistics count everything');
});

test('fuzz server: a server flooding empty frames gets FAILED with a reason, a bounded report and exit 1', { timeout: 60_000 }, async () => {
  const server = await rawServer((socket, request) => {
    socket.write(switching(requestKey(request)));
    flood(socket, frame(0x81, Buffer.alloc(0)), 300_000);
  });
  try {
    const outdir = mkdtempSync(join(tmpdir(), 'fuzz-flood-'));
    const code = await quiet(() => main(['server', `ws://127.0.0.1:${server.port}/`, '--cases', '1.1.6', '--outdir', outdir, '--agent', 'flood']));
    assert.equal(code, 1);
    const report = join(outdir, 'flood_case_1_1_6.json');
    const detail = JSON.parse(readFileSync(report, 'utf8'));
    assert.equal(detail.behavior, 'FAILED');
    assert.match(detail.result, /cut short: the peer sent more than 100000 messages/);
    const omitted = detail.wirelog.find((e: unknown[]) => e[0] === 'OMITTED');
    assert.ok(omitted, 'the log says what it left out');
    assert.ok(statSync(report).size < 1024 * 1024, `report of ${statSync(report).size} octets`);
    assert.ok(detail.received.length <= 1001);
  } finally {
    server.close();
  }
});

test('fuzz server: a server flooding Pings and never reading our Pongs is FAILED once 1 MiB waits for it', { timeout: 60_000 }, async () => {
  const server = await rawServer((socket, request) => {
    socket.write(switching(requestKey(request)));
    socket.pause(); // never reads: our Pongs pile up
    flood(socket, frame(0x89, Buffer.alloc(125, 0x61)), 10_000_000);
  });
  try {
    const target = serverTarget(`ws://127.0.0.1:${server.port}/`, { peer: { maxWriteBuffer: 1024 * 1024 } });
    // 1.1.6 waits 10 s for its echo: time enough for the Pongs to fill the socket buffers.
    const run = await playAgainstServer(target, selectCases(['1.1.6'])[0], 1);
    assert.equal(run.behavior, 'FAILED');
    assert.match(run.result, /cut short: the peer did not read what we sent: more than 1048576 octets queued/);
    assert.ok(run.peer.log.entries.length < 20_000, `${run.peer.log.entries.length} log entries`);
  } finally {
    server.close();
  }
});

test('fuzz client: a client flooding empty frames into a case is FAILED with a bounded log', { timeout: 60_000 }, async () => {
  const runs: CaseRun[] = [];
  const fuzzer = createFuzzingServer({ cases: selectCases(['1.1.6']), onCase: (run) => runs.push(run), onUpdateReports() {}, peer: { maxEvents: 1000 } });
  await new Promise<void>((resolve) => fuzzer.listen(0, '127.0.0.1', resolve));
  const socket = net.connect((fuzzer.address() as AddressInfo).port, '127.0.0.1');
  socket.on('error', () => {});
  try {
    socket.write('GET /runCase?case=1&agent=flood HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
    flood(socket, clientFrame(0x81, Buffer.alloc(0)), 200_000);
    while (runs.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(runs[0].behavior, 'FAILED');
    assert.match(runs[0].result, /more than 1000 messages/);
    assert.ok(runs[0].received.length <= 1000);
    assert.ok(runs[0].peer.log.entries.length < 20_000, `${runs[0].peer.log.entries.length} log entries`);
  } finally {
    socket.destroy();
    fuzzer.close();
  }
});
