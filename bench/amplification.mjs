#!/usr/bin/env node
// node bench/amplification.mjs [--only A,B,...]
// What a hostile peer's bytes cost our server, with every default left as is:
// bytes on the wire → server memory (peak RSS growth, and what is still held
// once the attack is absorbed) → longest event-loop block. Each attack gets
// a fresh server process (bench/probe-server.mjs); this process is the
// attacker, on raw TCP. Every attack stops by itself (120 s at most).
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { constants, deflateRawSync } from 'node:zlib';
import { startProbeServer, MiB, mib } from './processes.mjs';

const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1].split(',') : null;
const LIMIT = 64 * MiB; // the default maxMessageSize

/** A client frame with an all-zero masking key: allowed (RFC 6455 §5.3) and the payload goes as is. */
function frame(firstByte, payload) {
  const length = payload.length;
  const extended = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const header = Buffer.alloc(2 + extended + 4);
  header[0] = firstByte;
  header[1] = 0x80 | (extended === 0 ? length : extended === 2 ? 126 : 127);
  if (extended === 2) header.writeUInt16BE(length, 2);
  if (extended === 8) header.writeBigUInt64BE(BigInt(length), 2);
  return [header, payload];
}

const compressedZeros = (size) => {
  const out = deflateRawSync(Buffer.alloc(size), { finishFlush: constants.Z_SYNC_FLUSH, level: 9 });
  return out.subarray(0, out.length - 4);
};

function oneByteFragments(size) {
  const out = Buffer.alloc(7 * size);
  for (let i = 0; i < size; i++) {
    out[7 * i] = (i === 0 ? 0x02 : 0x00) | (i === size - 1 ? 0x80 : 0);
    out[7 * i + 1] = 0x81;
    out[7 * i + 6] = 0x61;
  }
  return [out];
}

function repeated(count, one) {
  const bytes = Buffer.concat(one);
  const out = Buffer.allocUnsafe(bytes.length * count);
  for (let i = 0; i < count; i++) bytes.copy(out, i * bytes.length);
  return [out];
}

const ATTACKS = [
  { id: 'A', name: 'compression bomb: 64 MiB of zeros in one frame, engine echo', server: { impl: 'engine' }, deflate: true, wire: () => frame(0xc2, compressedZeros(LIMIT)) },
  { id: 'B', name: 'compression bomb, binding echo (binary as a list)', server: { impl: 'binding' }, deflate: true, wire: () => frame(0xc2, compressedZeros(LIMIT)) },
  { id: 'C', name: 'uncompressed 64 MiB binary, binding echo', server: { impl: 'binding' }, wire: () => frame(0x82, Buffer.alloc(LIMIT)) },
  { id: 'D', name: '8 connections × compression bomb at once, binding echo', server: { impl: 'binding' }, deflate: true, connections: 8, wire: () => frame(0xc2, compressedZeros(LIMIT)) },
  { id: 'E', name: 'uncompressed 1 MiB binary, binding echo', server: { impl: 'binding' }, wire: () => frame(0x82, randomBytes(MiB)) },
  { id: 'F', name: '1 MiB message in 1,048,576 one-byte fragments, engine echo', server: { impl: 'engine' }, wire: () => oneByteFragments(MiB) },
  { id: 'G', name: '1,000,000 empty messages, engine handler that never reads', server: { impl: 'engine', handler: 'stall' }, wire: () => repeated(1_000_000, frame(0x82, Buffer.alloc(0))) },
  { id: 'H', name: '100,000 pings of 125 bytes, attacker never reads', server: { impl: 'engine', handler: 'stall' }, stall: true, wire: () => repeated(100_000, frame(0x89, Buffer.alloc(125, 1))) },
].filter((attack) => !only || only.includes(attack.id));

/** Raw client: handshake, then counts what comes back frame by frame (payloads are skipped, never kept). */
async function attacker(port, { deflate, stall }) {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.on('error', () => {});
  const state = { frames: 0, dataFrames: 0, closeCode: null, ended: false, handshake: '', skip: 0, header: Buffer.alloc(0) };
  socket.on('close', () => (state.ended = true));
  socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n${deflate ? 'Sec-WebSocket-Extensions: permessage-deflate\r\n' : ''}\r\n`);
  await new Promise((resolve, reject) => {
    const onData = (chunk) => {
      state.handshake += chunk.toString('latin1');
      const end = state.handshake.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      if (!state.handshake.startsWith('HTTP/1.1 101')) reject(new Error(`refused: ${state.handshake.split('\r\n')[0]}`));
      const rest = Buffer.from(state.handshake.slice(end + 4), 'latin1');
      if (stall) socket.pause();
      else socket.on('data', (data) => count(state, data));
      if (rest.length > 0) count(state, rest);
      resolve();
    };
    socket.on('data', onData);
  });
  return { socket, state };
}

function count(state, data) {
  let at = 0;
  while (at < data.length) {
    if (state.skip > 0) {
      const n = Math.min(state.skip, data.length - at);
      state.skip -= n;
      at += n;
      if (state.skip === 0) state.frames++;
      continue;
    }
    state.header = Buffer.concat([state.header, data.subarray(at, at + 14)]);
    const h = state.header;
    if (h.length < 2) return;
    const len7 = h[1] & 0x7f;
    const size = len7 === 126 ? 4 : len7 === 127 ? 10 : 2;
    if (h.length < size) {
      at = data.length;
      continue;
    }
    const length = len7 === 126 ? h.readUInt16BE(2) : len7 === 127 ? Number(h.readBigUInt64BE(2)) : len7;
    const consumed = size - (h.length - Math.min(14, data.length - at));
    at += consumed;
    if ((h[0] & 0x0f) === 0x8) state.closeCode = length >= 2 && at + 2 <= data.length ? data.readUInt16BE(at) : 1005;
    else if ((h[0] & 0x80) && (h[0] & 0x0f) !== 0x9 && (h[0] & 0x0f) !== 0xa) state.dataFrames++;
    state.header = Buffer.alloc(0);
    state.skip = length;
    if (length === 0) state.frames++;
  }
}

/** Resolves once `read()` has not changed for `ms` (polled every 50 ms): the server stopped taking bytes. */
async function steady(read, ms) {
  let value = read();
  let since = Date.now();
  for (;;) {
    await new Promise((r) => setTimeout(r, 50));
    const now = read();
    if (now !== value) [value, since] = [now, Date.now()];
    else if (Date.now() - since >= ms) return;
  }
}

async function run(attack) {
  const server = await startProbeServer({ handler: 'echo', ...attack.server });
  try {
    const base = await server.ask('mem');
    await server.ask('stats');
    const connections = attack.connections ?? 1;
    const peers = await Promise.all(Array.from({ length: connections }, () => attacker(server.port, attack)));
    const wire = attack.wire();
    const bytes = wire.reduce((n, b) => n + b.length, 0);
    attack.wireBytes = bytes * connections;
    const began = performance.now();
    for (const { socket } of peers) for (const b of wire) socket.write(b);
    const deadline = Date.now() + 120_000;
    const absorbed = Promise.all(peers.map(async ({ socket, state }) => {
      if (attack.stall || attack.server.handler === 'stall') return steady(() => socket.writableLength, 1000);
      while (state.dataFrames === 0 && state.closeCode === null && !state.ended && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    }));
    await absorbed;
    const ms = performance.now() - began;
    const stats = await server.ask('stats');
    const held = await server.ask('mem');
    const outcome = peers.map(({ state, socket }) => (state.closeCode !== null ? `close ${state.closeCode}`
      : state.dataFrames > 0 ? 'echoed' : state.ended ? 'dropped'
        : socket.writableLength > 0 ? `${mib(socket.writableLength)} MiB held back by TCP` : 'all sent'));
    for (const { socket } of peers) socket.destroy();
    return {
      wire: bytes * connections,
      peak: stats.maxRss - base.rss,
      heldRss: held.rss - base.rss,
      heldJs: held.heapUsed + held.external - base.heapUsed - base.external,
      block: stats.maxBlockMs,
      seconds: ms / 1000,
      outcome: [...new Set(outcome)].join(', '),
    };
  } finally {
    server.stop();
  }
}

const size = (bytes) => (bytes >= MiB ? `${mib(bytes)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`);
console.log(`amplification, server defaults, ${new Date().toISOString()}, Node ${process.version}`);
console.log('| attack | on the wire | server peak RSS growth | held once absorbed (after GC): RSS / heap+external | longest event-loop block | outcome |');
console.log('|---|---:|---:|---:|---:|---|');
for (const attack of ATTACKS) {
  try {
    const r = await run(attack);
    console.log(`| ${attack.id}. ${attack.name} | ${size(r.wire)} | ${mib(r.peak)} MiB | ${mib(r.heldRss)} / ${mib(r.heldJs)} MiB | ${Math.round(r.block)} ms | ${r.outcome} |`);
  } catch (error) {
    console.log(`| ${attack.id}. ${attack.name} | ${attack.wireBytes ? size(attack.wireBytes) : '—'} | — | — | — | ${error.message} |`);
  }
}
