// The server process of the robustness benches (soak, idle memory, amplification):
//   node --expose-gc bench/probe-server.mjs '{"impl":"engine"|"binding","handler":"echo"|"idle", ...serverOptions}'
// Prints "PORT n". Answers IPC messages:
//   'mem'    → memory after a full GC, plus the handlers running
//   'sample' → memory as it is (no GC)
//   'stats'  → peak RSS of the process so far and the longest event-loop block since the last 'stats'
//   'snapshot' → writes a heap snapshot, answers its file name
// "handler": "echo" answers every message (text as text, binary as binary);
// "idle" waits in receive() — receive(None) on the binding — and never answers;
// "stall" never calls receive() at all (engine only), so messages queue up.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { writeHeapSnapshot } from 'node:v8';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const { impl = 'engine', handler = 'echo', ...options } = JSON.parse(process.argv[2] ?? '{}');
let handlers = 0;

async function startEngine() {
  const { WebSocketServer } = await import(join(here, '..', 'dist', 'src', 'index.js'));
  const server = new WebSocketServer({ onError: () => {}, ...options });
  server.route('/', async (ws) => {
    handlers++;
    try {
      if (handler === 'stall') return await ws.whenClosed();
      for (;;) {
        const message = await ws.receive();
        if (message === null) return;
        if (handler === 'echo') await ws.send(message).catch(() => {});
      }
    } finally {
      handlers--;
    }
  });
  return (await server.listen(0, '127.0.0.1')).port;
}

async function startBinding() {
  const ws = await import(join(here, '..', 'dist', 'src', 'scriptling', 'index.js'));
  const runtime = ws.createRuntime();
  // The seed's echo handler shape: loop while connected, receive(None), answer in kind.
  runtime.http.websocket('/', async (client) => {
    handlers++;
    try {
      while (client.connected()) {
        const message = await client.receive(null);
        if (message === null || handler !== 'echo') continue;
        await (ws.is_binary(message) ? client.send_binary(message) : client.send(message)).catch(() => {});
      }
    } finally {
      handlers--;
    }
  });
  return (await runtime.http.serve({ port: 0, host: '127.0.0.1', ...options })).port;
}

const delay = monitorEventLoopDelay({ resolution: 5 });
delay.enable();

const memory = () => {
  const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
  return { rss, heapUsed, external, arrayBuffers, handlers };
};

process.on('message', (request) => {
  if (request === 'mem') {
    for (let i = 0; i < 3; i++) global.gc?.();
    process.send(memory());
  } else if (request === 'sample') {
    process.send(memory());
  } else if (request === 'snapshot') {
    process.send({ file: writeHeapSnapshot() });
  } else if (request === 'stats') {
    process.send({ ...memory(), maxRss: process.resourceUsage().maxRSS * 1024, maxBlockMs: delay.max / 1e6 });
    delay.reset();
  }
});

const port = impl === 'binding' ? await startBinding() : await startEngine();
console.log(`PORT ${port}`);
