// Category 15, permessage-deflate negotiation: our server passes, and each case
// is caught by one of three broken servers (one declines everything, one
// echoes the offer back as its answer and keeps its compression context and
// a 15-bit window whatever it agreed, one answers with the largest windows whatever was asked).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { playAgainstServer, serverTarget } from '../../src/fuzz/against-server.js';
import { casesFor } from '../../src/fuzz/select.js';
import { runAll } from '../../src/fuzz/runner.js';
import { acceptKey } from '../../src/protocol/handshake.js';
import { PerMessageDeflate } from '../../src/protocol/deflate.js';
import { clientFrame, frame, parseFrames, startServer } from '../helpers.js';
import { afterHead, againstBrokenClients, ourClientFailures, rawClient, verdicts } from './harness.js';

const CASES = casesFor('server', { cases: '15.*' });
const CLIENT_CASES = casesFor('client', { cases: '15.*' });

test('15.x: our server passes (15.1.8, a window of 8 accepted, is INFORMATIONAL: it then sends uncompressed)', { timeout: 60_000 }, async () => {
  const { server, url } = await startServer();
  try {
    const runs = await runAll(CASES, 4, (c, i) => playAgainstServer(serverTarget(url), c, i));
    const notOk = runs.filter((r) => r.behavior !== 'OK' || r.behaviorClose !== 'OK').map((r) => `${r.definition.id}: ${r.behavior}/${r.behaviorClose}`);
    assert.deepEqual(notOk, ['15.1.8: INFORMATIONAL/OK']);
    assert.ok(CASES.length >= 20);
  } finally {
    await server.close();
  }
});

type Mode = 'decline-all' | 'verbatim' | 'greedy';

async function brokenServer(mode: Mode) {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      const key = /sec-websocket-key: *(\S+)/i.exec(head)![1];
      const offer = /sec-websocket-extensions: *([^\r\n]*)/i.exec(head)?.[1];
      const answer = offer === undefined || mode === 'decline-all' ? null : mode === 'verbatim' ? offer : 'permessage-deflate; server_max_window_bits=15; client_max_window_bits=15';
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(key)}\r\n${answer === null ? '' : `Sec-WebSocket-Extensions: ${answer}\r\n`}\r\n`);
      // Whatever it answered, it compresses with its context and a 15-bit window.
      const codec = answer === null ? null : new PerMessageDeflate({ sendWindowBits: 15, sendNoContextTakeover: false, receiveNoContextTakeover: false });
      let pending: Buffer = Buffer.alloc(0);
      socket.on('data', (more: Buffer) => {
        const { frames, rest } = parseFrames(Buffer.concat([pending, more]));
        pending = rest;
        for (const f of frames) {
          if (f.opcode === 8) return void socket.end(frame(0x88, Buffer.from([0x03, 0xe8])));
          const payload = f.rsv1 && codec !== null ? codec.decompress([f.payload], 1 << 20) : f.payload;
          socket.write(codec === null ? frame(0x80 | f.opcode, payload) : frame(0xc0 | f.opcode, codec.compress(payload)));
        }
      });
    };
    socket.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

test('15.x: every case is caught by one of three broken servers', { timeout: 90_000 }, async () => {
  const caught = new Set<string>();
  const byMode: Record<string, Record<string, string>> = {};
  const results: Record<string, Record<string, string>> = {};
  for (const mode of ['decline-all', 'verbatim', 'greedy'] as const) {
    const broken = await brokenServer(mode);
    try {
      const runs = await runAll(CASES, 4, (c, i) => playAgainstServer(serverTarget(broken.url), c, i));
      byMode[mode] = verdicts(runs);
      results[mode] = Object.fromEntries(runs.map((r) => [r.definition.id, r.result]));
      for (const r of runs) if (r.behavior !== 'OK') caught.add(r.definition.id);
    } finally {
      broken.close();
    }
  }
  assert.deepEqual(CASES.filter((c) => !caught.has(c.id)).map((c) => c.id), [], 'every case catches some broken server');
  assert.equal(byMode['decline-all']['15.1.1'], 'UNIMPLEMENTED');
  assert.equal(byMode['decline-all']['15.2.1'], 'OK', 'declining an invalid offer is right');
  assert.equal(byMode.verbatim['15.2.1'], 'FAILED', 'server_max_window_bits=7 accepted');
  assert.equal(byMode.verbatim['15.3.3'], 'FAILED', 'two permessage-deflate in the answer');
  assert.equal(byMode.verbatim['15.1.3'], 'FAILED', 'server_no_context_takeover agreed, context kept: the third message does not inflate');
  // It agrees to the offered window but compresses with 15: its messages refer back past the agreed window.
  assert.equal(byMode.verbatim['15.1.6'], 'FAILED', 'server_max_window_bits=10 agreed, a 15-bit window used');
  assert.match(results.verbatim['15.1.6'], /larger window than the server_max_window_bits=10 it agreed to .*invalid distance too far back/);
  assert.equal(byMode.verbatim['15.1.8'], 'FAILED', 'server_max_window_bits=8 agreed, a 15-bit window used');
  assert.equal(byMode.greedy['15.1.6'], 'FAILED', 'a window of 15 where 10 was asked');
  assert.equal(byMode.greedy['15.1.1'], 'FAILED', 'client_max_window_bits not offered');
});

test('15.4 (clients): our client passes every case', { timeout: 60_000 }, async () => {
  assert.ok(CLIENT_CASES.length >= 9 && CLIENT_CASES.every((c) => c.id.startsWith('15.4.')));
  assert.deepEqual(await ourClientFailures(CLIENT_CASES), []);
});

/**
 * A broken client over a raw socket: it offers permessage-deflate (unless
 * 'no-offer') and echoes every frame as it came, RSV1 included, so it
 * inflates nothing and keeps no context of its own; 'rigid' also fails any
 * answer with parameters.
 */
function brokenClient(mode: 'verbatim' | 'rigid' | 'no-offer') {
  return rawClient({
    extraHeaders: mode === 'no-offer' ? '' : 'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n',
    onHead(head) {
      const rest = afterHead(head);
      if (rest === null) return 'wait';
      if (mode === 'rigid' && /permessage-deflate;/i.test(head)) return 'destroy';
      return { open: rest };
    },
    echo: (f) => clientFrame((f.fin ? 0x80 : 0) | (f.rsv1 ? 0x40 : 0) | f.opcode, f.payload),
  });
}

test('15.4 (clients): every case is caught by one of three broken clients', { timeout: 120_000 }, async () => {
  const { byMode, uncaught } = await againstBrokenClients(CLIENT_CASES, ['verbatim', 'rigid', 'no-offer'] as const, brokenClient);
  assert.deepEqual(uncaught, [], 'every case catches some broken client');
  assert.equal(byMode.verbatim['15.4.1'], 'OK');
  assert.equal(byMode.verbatim['15.4.3'], 'FAILED', 'client_no_context_takeover agreed, context used: our inflate fails');
  assert.equal(byMode.verbatim['15.4.5'], 'FAILED', 'server_max_window_bits=7 taken');
  assert.equal(byMode.verbatim['15.4.9'], 'NON-STRICT', 'two permessage-deflate taken');
  assert.equal(byMode.rigid['15.4.2'], 'INFORMATIONAL', 'a valid configuration refused: RFC 7692 §7.1 allows it');
  assert.equal(byMode.rigid['15.4.5'], 'OK');
  assert.equal(byMode['no-offer']['15.4.1'], 'UNIMPLEMENTED');
});
