// The server side of bench/http2.mjs, in its own process: echo on /echo, and
// on /memory its heap and RSS after a full GC (run with --expose-gc) and its CPU time so far, as JSON.
// node --expose-gc bench/http2-server.mjs KEY.pem CERT.pem (http2|http1) → prints the port
import { readFileSync } from 'node:fs';
import { WebSocketServer } from '../dist/src/transport/server.js';

const [keyFile, certFile, mode] = process.argv.slice(2);
const tls = { key: readFileSync(keyFile), cert: readFileSync(certFile) };
const server = new WebSocketServer({
  tls,
  http2: mode === 'http2' ? { maxConcurrentStreams: 5000, maxSessionMemory: 256 } : false,
  perMessageDeflate: false,
  pingInterval: 0,
  onError: () => {},
});
server.route('/echo', async (ws) => {
  for (;;) {
    const message = await ws.receive();
    if (message === null) return;
    await ws.send(message).catch(() => {});
  }
});
server.route('/memory', async (ws) => {
  globalThis.gc?.();
  globalThis.gc?.();
  const { heapUsed, rss, external } = process.memoryUsage();
  const { user, system } = process.cpuUsage();
  await ws.send(JSON.stringify({ heapUsed, rss, external, cpuMicros: user + system, connections: server.connectionCount - 1 }));
});
const { port } = await server.listen(0, '127.0.0.1');
console.log(port);
