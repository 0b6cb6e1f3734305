// The implementations under test, each behind the same two shapes:
//   servers: start(impl, { deflate }) -> { port, close }      (echo: text stays text, binary stays binary)
//   clients: open(impl, url, { deflate }) -> { send(payload), next() -> Promise, close() }
// plus a raw length-prefixed TCP echo as the ceiling.
import net from 'node:net';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, 'package.json'));
const core = () => import(join(here, '..', 'dist', 'src', 'index.js'));
const binding = () => import(join(here, '..', 'dist', 'src', 'scriptling', 'index.js'));
const syncBinding = () => import(join(here, '..', 'dist', 'src', 'sync', 'index.js'));
const wsLib = () => require('ws');

// ---- raw TCP: 4-byte length prefix, one byte of type ----
function rawFramer(onMessage) {
  let chunks = [];
  let buffered = 0;
  return (chunk) => {
    chunks.push(chunk);
    buffered += chunk.length;
    while (buffered >= 5) {
      if (chunks[0].length < 5) chunks = [Buffer.concat(chunks)];
      const length = chunks[0].readUInt32BE(0);
      if (buffered < 5 + length) return;
      const all = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      onMessage(all.subarray(0, 5 + length));
      const rest = all.subarray(5 + length);
      chunks = rest.length ? [rest] : [];
      buffered = rest.length;
    }
  };
}

function rawEncode(payload) {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const head = Buffer.allocUnsafe(5);
  head.writeUInt32BE(data.length, 0);
  head[4] = typeof payload === 'string' ? 1 : 2;
  return [head, data];
}

export async function startServer(impl, { deflate = false } = {}) {
  if (impl === 'raw') {
    const server = net.createServer((socket) => {
      socket.setNoDelay(true);
      const framer = rawFramer((message) => socket.write(message));
      // Echoes of one read go out in one writev, as a good length-prefixed protocol would.
      socket.on('data', (chunk) => {
        socket.cork();
        framer(chunk);
        socket.uncork();
      });
      socket.on('error', () => {});
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    return { port: server.address().port, close: () => server.close() };
  }
  if (impl === 'ours') {
    const { WebSocketServer } = await core();
    // textAsBytes: text is echoed as its bytes, never decoded into a string (ws's echo below gets a Buffer too).
    const server = new WebSocketServer({ perMessageDeflate: deflate, textAsBytes: true });
    server.route('/', async (ws) => {
      for (;;) {
        const m = await ws.receiveBytes();
        if (m === null) return;
        ws.send(m);
      }
    });
    const { port } = await server.listen(0, '127.0.0.1');
    return { port, close: () => server.close() };
  }
  if (impl === 'binding') {
    const ws = await binding();
    const runtime = ws.createRuntime();
    runtime.http.websocket('/', async (client) => {
      while (client.connected()) {
        const msg = await client.receive(null);
        if (msg === null) continue;
        if (ws.is_binary(msg)) client.send_binary(msg);
        else client.send(msg);
      }
    });
    const server = await runtime.http.serve({ port: 0, perMessageDeflate: deflate });
    return { port: server.port, close: () => server.close() };
  }
  if (impl === 'ws' || impl === 'ws-noaddons') {
    const { WebSocketServer } = wsLib();
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: deflate, maxPayload: 64 * 1024 * 1024 });
    server.on('connection', (socket) => socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })));
    await new Promise((r) => server.once('listening', r));
    return { port: server.address().port, close: () => server.close() };
  }
  throw new Error(`unknown server ${impl}`);
}

/** A client connection with a pull-style next(); callback libraries feed a small queue. */
function queueing() {
  const queue = [];
  const waiters = [];
  return {
    push(message) {
      const waiter = waiters.shift();
      if (waiter) waiter(message);
      else queue.push(message);
    },
    next() {
      return queue.length ? Promise.resolve(queue.shift()) : new Promise((r) => waiters.push(r));
    },
  };
}

export async function openClient(impl, url, { deflate = false } = {}) {
  if (impl === 'raw') {
    const socket = net.connect(Number(new URL(url).port), '127.0.0.1');
    socket.setNoDelay(true);
    await new Promise((r) => socket.once('connect', r));
    const q = queueing();
    socket.on('data', rawFramer((m) => q.push(m)));
    return {
      send: (payload) => {
        const [head, data] = rawEncode(payload);
        socket.cork();
        socket.write(head);
        socket.write(data);
        process.nextTick(() => socket.uncork());
      },
      next: q.next,
      close: () => socket.destroy(),
    };
  }
  if (impl === 'ours') {
    const { connect } = await core();
    const ws = await connect(url, { perMessageDeflate: deflate, textAsBytes: true });
    return { send: (p) => ws.send(p), next: () => ws.receiveBytes(), close: () => ws.close() };
  }
  if (impl === 'binding') {
    const { connect } = await binding();
    const conn = await connect(url, { perMessageDeflate: deflate });
    return {
      send: (p) => (typeof p === 'string' ? conn.send(p) : conn.send_binary(p)),
      next: () => conn.receive(null),
      close: () => conn.close(),
    };
  }
  if (impl === 'sync' || impl === 'sync-worker') {
    // The blocking binding: next() returns the message itself, after blocking this thread for it.
    // 'sync-worker': its sockets run by the worker thread (socketThread 'worker'), as wss:// always is.
    const { connect, SyncWorker } = await syncBinding();
    const options = { perMessageDeflate: deflate };
    const conn = impl === 'sync' ? connect(url, options) : new SyncWorker({ socketThread: 'worker' }).connect(url, options);
    return {
      send: (p) => (typeof p === 'string' ? conn.send(p) : conn.send_binary(p)),
      next: () => conn.receive(null),
      close: () => conn.close(),
    };
  }
  if (impl === 'ws' || impl === 'ws-noaddons') {
    const WebSocket = wsLib();
    const ws = new WebSocket(url, { perMessageDeflate: deflate, maxPayload: 64 * 1024 * 1024 });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const q = queueing();
    ws.on('message', (data, isBinary) => q.push(isBinary ? data : data.toString()));
    return { send: (p) => ws.send(p), next: q.next, close: () => ws.close() };
  }
  if (impl === 'node') {
    if (typeof WebSocket !== 'function') throw new Error("Node's WebSocket needs --experimental-websocket on Node 20");
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = reject;
    });
    const q = queueing();
    ws.onmessage = (e) => q.push(e.data);
    return { send: (p) => ws.send(p), next: q.next, close: () => ws.close() };
  }
  throw new Error(`unknown client ${impl}`);
}
