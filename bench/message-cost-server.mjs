// The binding's /echo server (the seed's echo handler) for bench/message-cost.mjs,
// reporting its own peak RSS growth and longest event-loop block on request.
// Usage: node --expose-gc bench/message-cost-server.mjs [maxMessageSize]
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRuntime } from '../dist/src/scriptling/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const maxMessageSize = process.argv[2] === undefined ? undefined : Number(process.argv[2]);
const runtime = createRuntime();
runtime.http.websocket('/echo', 'handlers.echo_handler');
const server = await runtime.http.serve({ port: 0, libraryPath: join(root, 'examples'), ...(maxMessageSize === undefined ? {} : { maxMessageSize }) });

let baseline = 0;
let peak = 0;
let maxBlock = 0;
let last = performance.now();
setInterval(() => {
  const now = performance.now();
  maxBlock = Math.max(maxBlock, now - last - 2);
  last = now;
  peak = Math.max(peak, process.memoryUsage.rss());
}, 2);

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'reset') {
    globalThis.gc();
    baseline = process.memoryUsage.rss();
    peak = baseline;
    maxBlock = 0;
    last = performance.now();
    console.log(JSON.stringify({ baseline }));
  } else if (line === 'report') {
    console.log(JSON.stringify({ growth: peak - baseline, maxBlock }));
  } else if (line === 'quit') {
    server.close().then(() => process.exit(0));
  }
});
console.log(JSON.stringify({ port: server.port }));
