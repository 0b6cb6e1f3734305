/** `scriptling-ws serve`: the example server of `npm start` (the seed's echo and chat handlers, and a page). */
import { createRuntime } from '../scriptling/index.js';
import { ADDRESS_FLAGS, hostPort, listenAddress } from './address.js';
import { exampleServer } from './paths.js';
import { untilInterrupted } from './signals.js';
import type { Command } from './command.js';

export const serve: Command = {
  name: 'serve',
  summary: 'example server: /echo, /chat and a page at / (the default command; HOST and PORT env vars work too)',
  flags: { ...ADDRESS_FLAGS },
  async run({ values }) {
    const { host, port } = listenAddress(values, 8080);
    const runtime = createRuntime();
    const { page, handlers } = await exampleServer();
    runtime.http.websocket('/echo', handlers.echo_handler);
    runtime.http.websocket('/chat', handlers.chat_handler);
    runtime.http.get('/', () => page);
    const server = await runtime.http.serve({ host, port });
    const where = hostPort(server.host, server.port);
    console.log(`scriptling-websocket example server
  page:  http://${where}/             (open it in a browser, in two tabs to chat)
  echo:  ws://${where}/echo
  chat:  ws://${where}/chat
  try:   scriptling-ws connect ws://${where}/echo
Ctrl-C stops it.`);
    await untilInterrupted();
    console.log('\nclosing connections (1001)…');
    await server.close();
    return 0;
  },
};
