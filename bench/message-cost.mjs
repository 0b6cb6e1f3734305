#!/usr/bin/env node
// What one peer's message costs the binding's /echo server (README: "What a
// peer's message can cost"): peak RSS growth and longest event-loop block for
// (a) a compressed message of zeros at the limit, (b) the same uncompressed,
// (c) eight connections sending (a) at once.
// Usage: node bench/message-cost.mjs [maxMessageSize ...]   (default: the binding's default)
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { constants, deflateRawSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const MiB = 1024 * 1024;

function startServer(limit) {
  const child = spawn(process.execPath, ['--expose-gc', join(here, 'message-cost-server.mjs'), ...(limit === undefined ? [] : [String(limit)])], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const waiting = [];
  lines.on('line', (line) => waiting.shift()?.(JSON.parse(line)));
  const next = () => new Promise((resolve) => waiting.push(resolve));
  const ask = (command) => {
    const answer = next();
    child.stdin.write(`${command}\n`);
    return answer;
  };
  const quit = () => {
    child.stdin.write('quit\n');
    return new Promise((resolve) => child.once('exit', resolve));
  };
  return { ready: next(), ask, quit };
}

/** A masked client frame with RSV1 when `compressed`. */
function clientFrame(payload, compressed) {
  const length = payload.length;
  const ext = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const header = Buffer.alloc(2 + ext + 4);
  header[0] = 0x82 | (compressed ? 0x40 : 0);
  header[1] = 0x80 | (ext === 0 ? length : ext === 2 ? 126 : 127);
  if (ext === 2) header.writeUInt16BE(length, 2);
  if (ext === 8) header.writeBigUInt64BE(BigInt(length), 2);
  const mask = randomBytes(4);
  mask.copy(header, 2 + ext);
  const masked = Buffer.from(payload);
  for (let i = 0; i < masked.length; i++) masked[i] ^= mask[i & 3];
  return [header, masked];
}

/** Opens a connection with permessage-deflate, sends `frame`, resolves once the echo (or a close) has fully arrived. */
function sendOne(port, frame) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let buffer = Buffer.alloc(0);
    let upgraded = false;
    socket.on('error', reject);
    socket.on('connect', () => {
      socket.write(`GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n`);
    });
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (!upgraded) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end === -1) return;
        upgraded = true;
        buffer = buffer.subarray(end + 4);
        for (const part of frame) socket.write(part);
      }
      if (buffer.length < 2) return;
      let length = buffer[1] & 0x7f;
      let offset = 2;
      if (length === 126) [length, offset] = [buffer.readUInt16BE(2), 4];
      else if (length === 127) [length, offset] = [Number(buffer.readBigUInt64BE(2)), 10];
      if (buffer.length >= offset + length) {
        socket.destroy();
        resolve({ opcode: buffer[0] & 0x0f, length });
      }
    });
  });
}

async function measure(server, port, frame, connections) {
  await server.ask('reset');
  const replies = await Promise.all(Array.from({ length: connections }, () => sendOne(port, frame)));
  const { growth, maxBlock } = await server.ask('report');
  const outcome = replies.every((r) => r.opcode === 2) ? 'echoed' : `closed ${replies.map((r) => r.opcode).join(',')}`;
  return { growth: `${(growth / MiB).toFixed(0)} MiB`, block: `${maxBlock.toFixed(0)} ms`, outcome };
}

const limits = process.argv.slice(2).map(Number);
for (const limit of limits.length > 0 ? limits : [undefined]) {
  const server = startServer(limit);
  const { port } = await server.ready;
  const size = limit ?? (await import('../dist/src/scriptling/values.js')).BINDING_MAX_MESSAGE_SIZE;
  const zeros = Buffer.alloc(size);
  const deflated = deflateRawSync(zeros, { finishFlush: constants.Z_SYNC_FLUSH });
  const compressed = clientFrame(deflated.subarray(0, deflated.length - 4), true);
  const plain = clientFrame(zeros, false);
  const rows = {
    [`(a) compressed zeros, ${(deflated.length / 1024).toFixed(0)} KiB on the wire`]: await measure(server, port, compressed, 1),
    [`(b) uncompressed, ${size / MiB} MiB on the wire`]: await measure(server, port, plain, 1),
    '(c) eight connections doing (a) at once': await measure(server, port, compressed, 8),
  };
  console.log(`maxMessageSize ${size / MiB} MiB${limit === undefined ? ' (the binding default)' : ''}`);
  console.table(rows);
  await server.quit();
}
