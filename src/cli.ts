#!/usr/bin/env node
/**
 * scriptling-ws: the example server (`npm start`) and the Autobahn testees.
 *   scriptling-ws serve    [--host 127.0.0.1] [--port 8080]
 *   scriptling-ws echo     [--host 127.0.0.1] [--port 9001] [--no-deflate]
 *   scriptling-ws autobahn [--url ws://127.0.0.1:9001] [--agent NAME] [--no-deflate]
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createRuntime } from './scriptling/index.js';
import { connect, WebSocketServer, type WebSocket } from './index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    host: { type: 'string' },
    port: { type: 'string' },
    url: { type: 'string', default: 'ws://127.0.0.1:9001' },
    agent: { type: 'string', default: 'scriptling-websocket' },
    'no-deflate': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

const command = positionals[0] ?? 'serve';
const usage = `usage:
  scriptling-ws serve    [--host 127.0.0.1] [--port 8080]   example server: /echo, /chat and a page at /
  scriptling-ws echo     [--host 127.0.0.1] [--port 9001]   echo server (Autobahn fuzzingclient testee)
  scriptling-ws autobahn [--url ws://127.0.0.1:9001] [--agent NAME]   Autobahn fuzzingserver client driver
options: --no-deflate turns permessage-deflate off (echo, autobahn); HOST and PORT env vars work too.`;

function port(fallback: number): number {
  const raw = values.port ?? process.env.PORT;
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) fail(`invalid port ${JSON.stringify(raw)}`);
  return n;
}

function fail(message: string): never {
  console.error(`scriptling-ws: ${message}\n${usage}`);
  process.exit(2);
}

const host = values.host ?? process.env.HOST ?? '127.0.0.1';
const deflate = !values['no-deflate'];

/** Echoes until the peer closes: text as text, binary as binary. */
async function echo(ws: WebSocket): Promise<void> {
  for (;;) {
    const message = await ws.receive();
    if (message === null) return;
    await ws.send(message as string | Buffer).catch(() => {});
  }
}

async function serve(): Promise<void> {
  const runtime = createRuntime();
  runtime.http.websocket('/echo', 'handlers.echo_handler');
  runtime.http.websocket('/chat', 'handlers.chat_handler');
  const page = readFileSync(join(root, 'examples', 'index.html'), 'utf8');
  runtime.http.get('/', () => page);
  const server = await runtime.http.serve({ host, port: port(8080), libraryPath: join(root, 'examples') });
  const where = `${server.host.includes(':') ? `[${server.host}]` : server.host}:${server.port}`;
  console.log(`scriptling-websocket example server
  page:  http://${where}/             (open it in a browser, in two tabs to chat)
  echo:  ws://${where}/echo
  chat:  ws://${where}/chat
  try:   node examples/client.mjs ws://${where}/echo
Ctrl-C stops it.`);
  const stop = () => {
    console.log('\nclosing connections (1001)…');
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function echoServer(): Promise<void> {
  const server = new WebSocketServer({ perMessageDeflate: deflate, maxMessageSize: 64 * 1024 * 1024 });
  server.route('/', echo);
  const { port: bound } = await server.listen(port(9001), host);
  console.log(`echo server on ws://${host}:${bound}/ (permessage-deflate ${deflate ? 'on' : 'off'})`);
  process.once('SIGINT', () => void server.close().then(() => process.exit(0)));
  process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
}

async function autobahn(): Promise<void> {
  const base = values.url!.replace(/\/$/, '');
  const agent = encodeURIComponent(values.agent!);
  const options = { perMessageDeflate: deflate, maxMessageSize: 64 * 1024 * 1024 };
  const counter = await connect(`${base}/getCaseCount`, options);
  const count = Number(await counter.receive(10_000));
  await counter.close();
  if (!Number.isInteger(count) || count <= 0) fail(`the fuzzing server sent no case count`);
  console.log(`running ${count} cases against ${base} as ${values.agent}`);
  for (let i = 1; i <= count; i++) {
    try {
      const ws = await connect(`${base}/runCase?case=${i}&agent=${agent}`, options);
      await echo(ws);
      await ws.close();
    } catch (error) {
      console.error(`case ${i}: ${(error as Error).message}`);
    }
    if (i % 25 === 0 || i === count) console.log(`  ${i}/${count}`);
  }
  const reports = await connect(`${base}/updateReports?agent=${agent}`, options);
  await reports.close();
  console.log('reports updated');
}

if (values.help) {
  console.log(usage);
} else if (command === 'serve') {
  await serve();
} else if (command === 'echo') {
  await echoServer();
} else if (command === 'autobahn') {
  await autobahn();
} else {
  fail(`unknown command ${JSON.stringify(command)}`);
}
