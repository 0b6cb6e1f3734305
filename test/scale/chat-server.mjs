// The example chat (examples/handlers.mjs, "handlers.chat_handler", on a
// topic) as a deployment runs it, for the scale-out tests:
//   node chat-server.mjs [--workers N] [--pubsub redis://…] [--relay-high-water-mark BYTES]
// Each 101 answer names the process that took the connection (X-Backend:
// pid). The primary (or the only process) prints one JSON line {"port"},
// then serves until its stdin ends or SIGTERM, and closes (1001 to clients).
// A line "publish TOPIC MESSAGE" on its stdin publishes from that process's
// runtime (with --workers: the primary's, where no client lives); "flood
// TOPIC COUNT BYTES" publishes COUNT messages of BYTES 'x' there, one per turn of its event loop,
// then prints "flooded" on stderr.
import cluster from 'node:cluster';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { join, dirname } from 'node:path';
import * as ws from 'scriptling-websocket';

const { values } = parseArgs({ options: { workers: { type: 'string' }, pubsub: { type: 'string' }, port: { type: 'string' }, 'relay-high-water-mark': { type: 'string' } } });
const examples = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples');
const backend = () => ({ headers: { 'X-Backend': String(process.pid) } });

ws.runtime.http.websocket('/chat', 'handlers.chat_handler', { authorize: backend });
ws.runtime.http.websocket('/publish', async (client) => {
  // "TOPIC MESSAGE": published from the primary's or this process's runtime (not as a chat member).
  while (client.connected()) {
    const msg = await client.receive(null);
    if (typeof msg === 'string') ws.runtime.publish(msg.slice(0, msg.indexOf(' ')), msg.slice(msg.indexOf(' ') + 1));
  }
}, { authorize: backend });
const server = await ws.runtime.http.serve({
  port: Number(values.port ?? 0),
  libraryPath: examples,
  workers: values.workers === undefined ? undefined : values.workers === 'auto' ? 'auto' : Number(values.workers),
  pubsub: values.pubsub,
  relayHighWaterMark: values['relay-high-water-mark'] === undefined ? undefined : Number(values['relay-high-water-mark']),
  onError: (error, where) => console.error(`[${process.pid}] ${where}: ${error.code ?? ''} ${error.message}`),
});
if (!cluster.isWorker) {
  console.log(JSON.stringify({ port: server.port, workers: server.workers ?? [] }));
  const stop = async () => {
    await server.close();
    process.exit(0);
  };
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const [command, topic, ...message] = line.split(' ');
    if (command === 'publish') ws.runtime.publish(topic, message.join(' '));
    // "flood TOPIC COUNT BYTES": that many publishes of one string of that size, one per turn of the event loop.
    if (command === 'flood') {
      const piece = 'x'.repeat(Number(message[1]));
      const next = (left) => {
        if (left === 0) return console.error('flooded');
        ws.runtime.publish(topic, piece);
        setImmediate(next, left - 1);
      };
      next(Number(message[0]));
    }
  });
  lines.on('close', stop);
  process.on('SIGTERM', stop);
}
