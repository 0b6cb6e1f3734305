// Opens N idle connections to a benchmark server: node bench/connections.mjs IMPL URL N [--message] [--deflate]
// With --message each connection sends one compressible 4 KiB message and waits for its echo;
// --deflate negotiates permessage-deflate (as browsers do) without sending anything.
// Prints "READY" once all are open, then keeps them until stdin closes.
import net from 'node:net';
import { openClient } from './peers.mjs';

const [impl, url, countText] = process.argv.slice(2);
const count = Number(countText);
const message = process.argv.includes('--message');
const deflate = message || process.argv.includes('--deflate');
const text = JSON.stringify(Array.from({ length: 200 }, (_, i) => ({ id: i, kind: 'update', ok: true }))).slice(0, 4096);
const keep = [];
const batch = 200;
for (let i = 0; i < count; i += batch) {
  await Promise.all(Array.from({ length: Math.min(batch, count - i) }, async () => {
    if (impl === 'raw') {
      const socket = net.connect(Number(new URL(url).port), '127.0.0.1');
      await new Promise((r) => socket.once('connect', r));
      keep.push(socket);
      return;
    }
    const conn = await openClient('ours', url, { deflate });
    if (message) {
      conn.send(text);
      await conn.next();
    }
    keep.push(conn);
  }));
}
console.log('READY');
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
