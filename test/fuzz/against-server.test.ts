// `fuzz server`: the sample against our own echo server, reports, exit codes,
// and hand-made broken servers the fuzzer must judge FAILED without hanging.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type net from 'node:net';
import { deflateRawSync, constants } from 'node:zlib';
import { main } from '../../src/fuzz/command.js';
import { playAgainstServer, serverTarget } from '../../src/fuzz/against-server.js';
import { selectCases } from '../../src/fuzz/select.js';
import { runAll } from '../../src/fuzz/runner.js';
import { parseFrames, quiet, rawServer, requestKey, startServer, switching, frame, testCertificate } from '../helpers.js';
import { QUICK_SAMPLE, SAMPLE } from './sample.js';

const verdicts = (index: Record<string, Record<string, { behavior: string; behaviorClose: string }>>) =>
  Object.fromEntries(Object.entries(Object.values(index)[0]).map(([id, r]) => [id, `${r.behavior}/${r.behaviorClose}`]));

test('fuzz server: the sample passes against our server, serial and --parallel 3 alike, with Autobahn-shaped reports', { timeout: 60_000 }, async () => {
  const { server, url } = await startServer(undefined, { maxMessageSize: 64 * 1024 * 1024 });
  try {
    const serial = mkdtempSync(join(tmpdir(), 'fuzz-serial-'));
    const parallel = mkdtempSync(join(tmpdir(), 'fuzz-parallel-'));
    assert.equal(await quiet(() => main(['server', url, '--cases', SAMPLE.join(','), '--agent', 'Our Server/1.0', '--outdir', parallel, '--parallel', '3'])), 0);
    assert.equal(await quiet(() => main(['server', url, '--cases', QUICK_SAMPLE.join(','), '--agent', 'Our Server/1.0', '--outdir', serial])), 0);

    const index = JSON.parse(readFileSync(join(parallel, 'index.json'), 'utf8'));
    assert.deepEqual(Object.keys(index), ['Our Server/1.0']);
    const results = index['Our Server/1.0'];
    // Keys sorted as plain strings, as the suite's json.dumps(sort_keys=True) writes them.
    assert.deepEqual(Object.keys(results), [...SAMPLE].sort());
    assert.deepEqual(Object.keys(results['1.1.1']), ['behavior', 'behaviorClose', 'duration', 'remoteCloseCode', 'reportfile']);
    assert.equal(results['1.1.1'].reportfile, 'our_server_1_0_case_1_1_1.json');
    assert.equal(results['3.1'].remoteCloseCode, 1002);
    assert.equal(results['6.3.2'].remoteCloseCode, 1007);
    assert.equal(results['7.13.2'].behavior, 'INFORMATIONAL');
    const parallelVerdicts = verdicts(index);
    assert.deepEqual(verdicts(JSON.parse(readFileSync(join(serial, 'index.json'), 'utf8'))), Object.fromEntries(QUICK_SAMPLE.map((id) => [id, parallelVerdicts[id]])));

    const detail = JSON.parse(readFileSync(join(parallel, 'our_server_1_0_case_2_10.json'), 'utf8'));
    assert.equal(detail.id, '2.10');
    assert.equal(detail.received.length, 10);
    assert.deepEqual(detail.received[0], ['pong', 'payload-0']);
    assert.ok(detail.wirelog.some((e: unknown[]) => e[0] === 'TF' && e[2] === 9), 'the wire log has the Pings sent');
    assert.ok(detail.wirelog.some((e: unknown[]) => e[0] === 'RF' && e[2] === 10), 'the wire log has the Pongs received');

    const html = readFileSync(join(parallel, 'index.html'), 'utf8');
    assert.match(html, /href="our_server_1_0_case_10_1_1\.html"/);
    assert.match(html, /6\.4 Fail-fast on invalid UTF-8/);
    assert.match(html, /13\.3 JSON records: offer server_max_window_bits=9/);
    assert.doesNotMatch(html, /<script|<link|src="http/);
    assert.equal(readdirSync(parallel).filter((f) => f.endsWith('.html')).length, SAMPLE.length + 1);
  } finally {
    await server.close();
  }
});

/** A server that completes the handshake, then echoes every data frame as one unfragmented frame and accepts anything. */
async function lenientServer() {
  return rawServer((socket: net.Socket, request: string) => {
    socket.write(switching(requestKey(request)));
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      const { frames, rest } = parseFrames(Buffer.concat([pending, chunk]));
      pending = rest;
      for (const f of frames) {
        if (f.opcode === 8) {
          socket.end(frame(0x88, Buffer.from([0x03, 0xe8])));
          return;
        }
        if (f.opcode !== 9 && f.opcode !== 10) socket.write(frame(0x81, f.payload));
      }
    });
  });
}

test('fuzz server: a server that accepts bad frames and bad UTF-8 is judged FAILED, and the run exits 1', { timeout: 30_000 }, async () => {
  const lenient = await lenientServer();
  try {
    const target = serverTarget(`ws://127.0.0.1:${lenient.port}/`);
    const runs = await runAll(selectCases(['3.1', '4.1.1', '6.3.1', '1.1.2', '2.1']), 5, (c, i) => playAgainstServer(target, c, i));
    const got = Object.fromEntries(runs.map((r) => [r.definition.id, `${r.behavior}/${r.behaviorClose}`]));
    // It echoes the bad frames instead of failing: we end up closing (wrong endpoint).
    assert.equal(got['3.1'], 'FAILED/FAILED');
    assert.equal(got['4.1.1'], 'FAILED/FAILED');
    assert.equal(got['6.3.1'], 'FAILED/FAILED');
    // Good echo, good close.
    assert.equal(got['1.1.2'], 'OK/OK');
    // It never answers the Ping: no pong, so behavior FAILED; closing still works.
    assert.equal(got['2.1'], 'FAILED/OK');
    assert.equal(runs[0].agent, 'UnknownServer');
    const outdir = mkdtempSync(join(tmpdir(), 'fuzz-lenient-'));
    assert.equal(await quiet(() => main(['server', `ws://127.0.0.1:${lenient.port}/`, '--cases', '3.1', '--outdir', outdir])), 1);
  } finally {
    lenient.close();
  }
});

test('fuzz server: a server that hangs costs a case its timers, not the run', { timeout: 30_000 }, async () => {
  const silent = await rawServer((socket, request) => socket.write(switching(requestKey(request))));
  const mute = await rawServer(() => {});
  try {
    const started = performance.now();
    const [afterHandshake] = await runAll(selectCases(['1.1.1']), 1, (c, i) => playAgainstServer(serverTarget(`ws://127.0.0.1:${silent.port}/`), c, i));
    // No echo, no Close answer: our kill timer (1 s) sends a Close, the close handshake timer (1 s) drops TCP.
    assert.equal(`${afterHandshake.behavior}/${afterHandshake.behaviorClose}`, 'FAILED/UNCLEAN');
    assert.equal(afterHandshake.peer.wasCloseHandshakeTimeout, true);
    const [noHandshake] = await runAll(selectCases(['1.1.1']), 1, (c, i) => playAgainstServer(serverTarget(`ws://127.0.0.1:${mute.port}/`, { openHandshakeTimeout: 0.3 }), c, i));
    assert.equal(`${noHandshake.behavior}/${noHandshake.behaviorClose}`, 'FAILED/FAILED');
    assert.match(noHandshake.resultClose, /no opening handshake within 0.3 s/);
    assert.ok(performance.now() - started < 10_000);
    const [refused] = await runAll(selectCases(['1.1.1']), 1, (c, i) => playAgainstServer(serverTarget('ws://127.0.0.1:1/'), c, i));
    assert.equal(refused.behaviorClose, 'FAILED');
  } finally {
    silent.close();
    mute.close();
  }
});

test('fuzz server: a server that announces an endless message gets 1009 at its header, before we hold any of it', { timeout: 20_000 }, async () => {
  const endless = await rawServer((socket, request) => {
    socket.write(switching(requestKey(request)));
    const header = Buffer.from([0x82, 127, 0, 0, 1, 0, 0, 0, 0, 0]); // a binary frame of 2^40 octets
    socket.write(Buffer.concat([header, Buffer.alloc(64 * 1024)]));
  });
  try {
    const started = performance.now();
    const [run] = await runAll(selectCases(['1.2.1']), 1, (c, i) => playAgainstServer(serverTarget(`ws://127.0.0.1:${endless.port}/`, { peer: { maxMessageSize: 1024 * 1024 } }), c, i));
    assert.equal(run.peer.localCloseCode, 1009);
    assert.equal(`${run.behavior}/${run.behaviorClose}`, 'FAILED/UNCLEAN');
    assert.ok(performance.now() - started < 1000, 'no timer had to fire');
  } finally {
    endless.close();
  }
});

test('fuzz server: compressed messages that do not inflate get 1007, those that inflate past the limit 1009', { timeout: 20_000 }, async () => {
  const bomb = deflateRawSync(Buffer.alloc(2 * 1024 * 1024), { finishFlush: constants.Z_SYNC_FLUSH });
  const payloads = [Buffer.from([0xff, 0xff, 0xff]), bomb.subarray(0, bomb.length - 4)];
  const server = await rawServer((socket, request) => {
    socket.write(switching(requestKey(request), 'Sec-WebSocket-Extensions: permessage-deflate\r\n'));
    socket.write(frame(0xc2, payloads.shift()!)); // FIN + RSV1 + binary
  });
  try {
    const target = serverTarget(`ws://127.0.0.1:${server.port}/`, { peer: { maxMessageSize: 1024 * 1024 } });
    const runs = await runAll(selectCases(['12.1.1', '12.1.2']), 1, (c, i) => playAgainstServer(target, c, i));
    assert.deepEqual(runs.map((r) => r.peer.localCloseCode), [1007, 1009]);
    assert.ok(runs.every((r) => r.behavior === 'FAILED'));
  } finally {
    server.close();
  }
});

test('fuzz server: without permessage-deflate, 12.x and 13.x are UNIMPLEMENTED, which --allow-unimplemented lets pass', { timeout: 30_000 }, async () => {
  const { server, url } = await startServer(undefined, { perMessageDeflate: false });
  try {
    const outdir = mkdtempSync(join(tmpdir(), 'fuzz-nodeflate-'));
    assert.equal(await quiet(() => main(['server', url, '--cases', '12.1.1,13.7.1', '--outdir', outdir])), 1);
    const index = JSON.parse(readFileSync(join(outdir, 'index.json'), 'utf8'));
    assert.deepEqual(verdicts(index), { '12.1.1': 'UNIMPLEMENTED/OK', '13.7.1': 'UNIMPLEMENTED/OK' });
    assert.equal(await quiet(() => main(['server', url, '--cases', '12.1.1,13.7.1', '--outdir', outdir, '--allow-unimplemented'])), 0);
  } finally {
    await server.close();
  }
});

test('fuzz server: wss:// works (a test certificate is fine: conformance, not trust, is tested)', { timeout: 20_000 }, async () => {
  const { server, url } = await startServer(undefined, { tls: testCertificate() });
  try {
    const runs = await runAll(selectCases(['1.1.2', '2.2']), 2, (c, i) => playAgainstServer(serverTarget(url), c, i));
    assert.deepEqual(runs.map((r) => `${r.behavior}/${r.behaviorClose}`), ['OK/OK', 'OK/OK']);
  } finally {
    await server.close();
  }
});

test('fuzz: bad usage exits 2 with a message', async () => {
  const errors: string[] = [];
  const error = console.error;
  console.error = (line: string) => errors.push(line);
  try {
    assert.equal(await main(['server']), 2);
    assert.equal(await main(['server', 'ws://127.0.0.1:1', '--cases', '1.1.99']), 2);
    assert.equal(await main(['server', 'http://127.0.0.1:1']), 2);
    assert.equal(await main(['nope']), 2);
    assert.equal(await main(['client', 'ws://x']), 2);
    assert.equal(await main(['server', 'ws://127.0.0.1:1', '--parallel', 'many']), 2);
    assert.equal(await main(['server', 'ws://127.0.0.1:1', '--bogus']), 2);
    assert.equal(await main(['server', 'ws://127.0.0.1:1', '--max-message-size', '0']), 2);
  } finally {
    console.error = error;
  }
  assert.match(errors.join('\n'), /needs the URL/);
  assert.match(errors.join('\n'), /unknown case "1.1.99"/);
  assert.match(errors.join('\n'), /ws:\/\/ or wss:\/\//);
});
