/** `scriptling-ws serve`: the example server of `npm start` (the seed's echo and chat handlers, and a page). */
import cluster from 'node:cluster';
import { createRuntime } from '../scriptling/index.js';
import { parseRedisUrl } from '../transport/pubsub/redis-url.js';
import { ADDRESS_FLAGS, hostPort, listenAddress } from './address.js';
import { exampleServer } from './paths.js';
import { untilInterrupted } from './signals.js';
import { UsageError, stringFlag } from './args.js';
import type { Command } from './command.js';

export const serve: Command = {
  name: 'serve',
  summary: 'example server: /echo, /chat and a page at / (the default command; HOST and PORT env vars work too)',
  flags: {
    ...ADDRESS_FLAGS,
    workers: { type: 'string', value: 'N', help: 'run N worker processes on the port (0 or auto: one per CPU); the chat spans them all' },
    pubsub: { type: 'string', value: 'URL', help: 'join the chat with every server using this Redis: redis://[user:password@]host:port[/db] (rediss:// for TLS)' },
  },
  async run({ values }) {
    const { host, port } = listenAddress(values, 8080);
    const workers = workersFlag(stringFlag(values, 'workers'));
    const pubsub = stringFlag(values, 'pubsub');
    if (pubsub !== undefined) {
      try {
        parseRedisUrl(pubsub);
      } catch (error) {
        throw new UsageError(`--pubsub: ${(error as Error).message.replace(/^pubsub: /, '')}`, serve);
      }
    }
    const runtime = createRuntime();
    const { page, handlers } = await exampleServer();
    runtime.http.websocket('/echo', handlers.echo_handler);
    runtime.http.websocket('/chat', handlers.chat_handler);
    runtime.http.get('/', () => page);
    const server = await runtime.http.serve({ host, port, workers, pubsub });
    // A worker runs this same command; its primary prints, waits for Ctrl-C and closes it.
    if (cluster.isWorker) return new Promise<number>(() => {});
    const where = hostPort(server.host, server.port);
    console.log(`scriptling-websocket example server
  page:  http://${where}/             (open it in a browser, in two tabs to chat)
  echo:  ws://${where}/echo
  chat:  ws://${where}/chat${workers === undefined ? '' : `   (one room over ${server.workers?.length} workers)`}${pubsub === undefined ? '' : ` (joined through ${pubsub.replace(/\/\/[^@/]*@/, '//')})`}
  try:   scriptling-ws connect ws://${where}/echo
Ctrl-C stops it.`);
    await untilInterrupted();
    console.log('\nclosing connections (1001)…');
    await server.close();
    return 0;
  },
};

/** --workers N: an integer ≥ 0 or "auto" (0 and auto: one per CPU). */
function workersFlag(value: string | undefined): number | 'auto' | undefined {
  if (value === undefined || value === 'auto') return value;
  if (!/^\d{1,4}$/.test(value)) throw new UsageError(`--workers takes a number of workers or "auto", not ${JSON.stringify(value)}`, serve);
  return Number(value);
}
