// The seed's servers for the synchronous client tests, in a process of
// their own (a blocked test thread cannot serve): the seed's handlers by
// name, plus the routes its client examples talk to. Prints one JSON line
// {"port", "headerPort", "slowPort", "mutePort", "blackhole"}; serves until stdin closes.
//   node seed-server.mjs [KEY.pem CERT.pem]   (with files: wss://)
import net from 'node:net';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, dirname } from 'node:path';
import * as ws from 'scriptling-websocket';
import { WebSocketServer } from 'scriptling-websocket/core';

const [keyFile, certFile] = process.argv.slice(2);
const tls = keyFile ? { key: readFileSync(keyFile), cert: readFileSync(certFile) } : undefined;

const runtime = ws.createRuntime();
runtime.http.websocket('/chat', 'handlers.chat_handler');
runtime.http.websocket('/echo', 'handlers.echo_handler');
runtime.http.websocket('/updates', async (client) => {
  const msg = await client.receive(5);
  await client.send(`subscribed: ${msg}`);
  await client.send('update 1');
  await client.send('update 2');
});
runtime.http.websocket('/mixed', async (client) => {
  await client.send('text one');
  await client.send_binary([0xde, 0xad, 0xbe, 0xef]);
  await client.send('text two');
});
runtime.http.websocket('/silent', async (client) => {
  while (client.connected()) await client.receive(null); // reads, never answers
});
runtime.http.websocket('/drop', async (client) => {
  await client.receive(5); // then the TCP connection is lost, without a Close frame
  client.engine.terminate();
});
runtime.http.websocket('/later', async (client) => {
  const msg = await client.receive(5);
  await new Promise((resolve) => setTimeout(resolve, 300));
  await client.send(`later: ${msg}`);
  await client.receive(5);
});
runtime.http.websocket('/flood', async (client) => {
  // "flood N SIZE": N binary messages of SIZE bytes, as fast as the socket takes them.
  const [, count, size] = (await client.receive(5)).split(' ').map(Number);
  const payload = new Uint8Array(size).fill(7);
  for (let i = 0; i < count; i++) {
    payload[0] = i & 0xff;
    await client.send_binary(payload);
  }
  await client.send('flood done');
  await client.receive(30);
});

runtime.http.websocket('/ping-me', async (client) => {
  // "ping me": we ping at once and report how long the Pong took (the client may be busy meanwhile).
  await client.receive(5);
  const started = performance.now();
  await client.ping();
  await client.send(`pong after ${Math.round(performance.now() - started)} ms`);
  await client.receive(5);
});

const examples = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples');
const server = await runtime.http.serve({ port: 0, libraryPath: examples, tls, maxMessageSize: 2 ** 24 }); // as the Python peer: the tests send 4 MiB
// The custom-headers example needs the request, which the engine's route handler gets.
const headerServer = new WebSocketServer({ tls });
headerServer.route('/headers', async (socket, request) => {
  await socket.send(`${request.headers.authorization} / ${request.headers['x-custom-header']}`);
  await socket.receive(5000);
});
const { port: headerPort } = await headerServer.listen(0, '127.0.0.1');
// A reader that stops reading for a while, with a small queue, so TCP pushes back on the client:
// "slow N MS": not reading for MS ms, then N binary messages, the first byte of each its number: answered with their count, bytes and order.
const slowServer = new WebSocketServer({ tls, maxQueuedBytes: 64 * 1024 });
slowServer.route('/slow-reader', async (socket) => {
  const [, count, pause] = String(await socket.receive(5000)).split(' ').map(Number);
  await new Promise((resolve) => setTimeout(resolve, pause));
  let bytes = 0;
  let disorder = '';
  for (let i = 0; i < count; i++) {
    const message = await socket.receive(10_000);
    bytes += message.length;
    if (message[0] !== (i & 0xff) && disorder === '') disorder = `, message ${i} out of order`;
  }
  await socket.send(`got ${count}: ${bytes} bytes${disorder}`);
  await socket.receive(5000);
});
const { port: slowPort } = await slowServer.listen(0, '127.0.0.1');
// Completes the opening handshake, then
//   /mute: reads and never answers anything, Pings included: a peer gone silent;
//   /close-soon: 0.3 s later, sends a Close frame (1000) and ends the TCP connection;
//   /ping-flood: sends Pings as fast as the client takes them (and drops its Pongs): there is always something to read;
//   /slow-close: answers the client's Close frame 1.5 s late and never ends the TCP connection;
//   /ping-at-once: sends a Ping at once, and when its Pong comes, the text "pong after N ms";
//   /two-empty: two empty binary messages in one write, then the text "after";
//   /reset-soon: 0.3 s later, resets the TCP connection;
//   /stall-reset: never reads, and resets the TCP connection 1.5 s later;
//   /away-KIND: from 0.3 s on, sends AWAY_BYTES as fast as the client takes them, in frames of one KIND: "ticks" (200-byte
//     text messages), "large" (one binary message), "empty" (empty binary messages), "pings" (125-byte Pings).
const AWAY_BYTES = Number(process.env.AWAY_BYTES ?? 200 * 1024 * 1024);
/** 64 KiB or so of one kind of frame, for /away-KIND. */
const repeat = (frame) => Buffer.concat(Array.from({ length: Math.ceil(65536 / frame.length) }, () => frame));
const AWAY_FRAMES = {
  ticks: repeat(Buffer.concat([Buffer.from([0x81, 126, 0, 200]), Buffer.alloc(200, 0x61)])),
  empty: repeat(Buffer.from([0x82, 0])),
  pings: repeat(Buffer.concat([Buffer.from([0x89, 125]), Buffer.alloc(125, 1)])),
  large: Buffer.alloc(65536, 0x62),
};
/** The header of one binary frame of AWAY_BYTES: /away-large. */
function largeHeader() {
  const header = Buffer.alloc(10);
  header[0] = 0x82;
  header[1] = 127;
  header.writeBigUInt64BE(BigInt(AWAY_BYTES), 2);
  return header;
}
const PINGS = Buffer.concat(Array.from({ length: 64 }, () => Buffer.concat([Buffer.from([0x89, 125]), Buffer.alloc(125, 1)])));
const mute = net.createServer((socket) => {
  let head = '';
  const onData = (chunk) => {
    head += chunk.toString('latin1');
    const key = /^sec-websocket-key:\s*(\S+)/im.exec(head)?.[1];
    if (!head.includes('\r\n\r\n') || key === undefined) return;
    socket.off('data', onData);
    socket.on('data', (frame) => {
      // A client's Close frame comes alone: the first byte of a read, once the client closes.
      if (head.startsWith('GET /slow-close ') && frame[0] === 0x88) setTimeout(() => socket.write(Buffer.from([0x88, 0x02, 0x03, 0xe8])), 1500);
    });
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    if (head.startsWith('GET /close-soon ')) setTimeout(() => socket.end(Buffer.from([0x88, 0x02, 0x03, 0xe8])), 300);
    const path = /^GET (\S+) /.exec(head)[1];
    if (path === '/ping-at-once') {
      const started = performance.now();
      socket.write(Buffer.from([0x89, 0]));
      socket.on('data', function answered(frame) {
        if ((frame[0] & 0x0f) !== 0x0a) return;
        socket.off('data', answered);
        const text = Buffer.from(`pong after ${Math.round(performance.now() - started)} ms`);
        socket.write(Buffer.concat([Buffer.from([0x81, text.length]), text]));
      });
    }
    if (path === '/two-empty') socket.write(Buffer.from([0x82, 0, 0x82, 0, 0x81, 5, ...Buffer.from('after')]));
    if (path === '/reset-soon') setTimeout(() => socket.resetAndDestroy(), 300);
    if (path === '/stall-reset') {
      socket.pause();
      setTimeout(() => socket.resetAndDestroy(), 1500);
    }
    const away = /^\/away-(\w+)$/.exec(path)?.[1];
    if (away !== undefined && AWAY_FRAMES[away] !== undefined) {
      let left = AWAY_BYTES;
      const chunk = AWAY_FRAMES[away];
      let started = false;
      const send = () => {
        if (!started && away === 'large') socket.write(largeHeader());
        started = true;
        while (!socket.destroyed && left > 0) {
          const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
          left -= piece.length;
          if (!socket.write(piece)) return;
        }
      };
      socket.on('drain', send);
      setTimeout(send, 300); // after the client's first call: it leaves the connection at a frame boundary
    }
    if (head.startsWith('GET /ping-flood ')) {
      const flood = () => {
        while (!socket.destroyed && socket.write(PINGS));
      };
      socket.on('drain', flood);
      flood();
    }
  };
  socket.on('data', onData);
  socket.on('error', () => {});
});
await new Promise((resolve) => mute.listen(0, '127.0.0.1', resolve));

// Accepts TCP and never answers: a handshake that cannot finish.
const blackhole = net.createServer(() => {});
await new Promise((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
console.log(JSON.stringify({ port: server.port, headerPort, slowPort, mutePort: mute.address().port, blackhole: blackhole.address().port }));
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
