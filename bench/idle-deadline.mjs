#!/usr/bin/env node
// node bench/idle-deadline.mjs [rounds] [--no-read]   (default 10 rounds; run `npm run build` first)
// Adversarial timings against the engine server's handshakeTimeout (300 ms):
// per round, 20 each of: connect and send nothing; send a partial head; send
// the head one byte per 20 ms; end our half at once (half-open); plus 20
// connections reset right after connecting (their ports are reused at once,
// so address pairs repeat). Every connection but the resets must be closed
// by the server within 3 s. The clients read what they get (node:http may
// answer 408 before closing); `--no-read` shows what a client that does not
// read sees: the 408 unread, its 'end' and 'close' never come.
import net from 'node:net';
import { WebSocketServer } from '../dist/src/transport/server.js';

const args = process.argv.slice(2);
const rounds = Number(args.find((a) => /^\d+$/.test(a)) ?? 10);
const read = !args.includes('--no-read');
const LIMIT = 3000;
const HEAD = 'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n';

function watch(socket, label) {
  socket.on('error', () => {});
  let received = '';
  if (read) socket.on('data', (chunk) => (received += chunk.toString('latin1')));
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      resolve(`${label}: not closed after ${LIMIT} ms (${socket.readableLength} bytes unread)`);
      socket.destroy();
    }, LIMIT);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(received === '' || received.startsWith('HTTP/1.1 408 ') ? null : `${label}: got ${JSON.stringify(received.slice(0, 40))}`);
    });
  });
}

let failures = 0;
let total = 0;
for (let round = 0; round < rounds; round++) {
  const server = new WebSocketServer({ handshakeTimeout: 300, closeTimeout: 1000 });
  server.route('/', async () => {});
  const { port } = await server.listen(0);
  const waits = [];
  for (let i = 0; i < 20; i++) {
    waits.push(watch(net.connect(port, '127.0.0.1'), 'idle'));
    const partial = net.connect(port, '127.0.0.1', () => partial.write('GET / HTTP/1.1\r\nHost: x\r\n'));
    waits.push(watch(partial, 'partial head'));
    const slow = net.connect(port, '127.0.0.1');
    let sent = 0;
    const drip = setInterval(() => (sent < HEAD.length && !slow.destroyed ? slow.write(HEAD[sent++]) : clearInterval(drip)), 20);
    slow.once('close', () => clearInterval(drip));
    waits.push(watch(slow, 'slow head'));
    const half = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => half.end());
    waits.push(watch(half, 'half-open'));
    const reset = net.connect(port, '127.0.0.1', () => reset.resetAndDestroy()).on('error', () => {});
  }
  const results = await Promise.all(waits);
  total += results.length;
  for (const failure of results.filter(Boolean)) {
    failures++;
    console.log(`round ${round}: ${failure}`);
  }
  await server.close();
}
console.log(`${process.version}${read ? '' : ' (clients not reading)'}: ${total} connections, ${failures} not closed as they should be`);
