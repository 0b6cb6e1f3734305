/** `scriptling-ws echo`: the echo server Autobahn's fuzzingclient tests. */
import { WebSocketServer } from '../transport/server.js';
import type { WebSocket } from '../transport/websocket.js';
import { ADDRESS_FLAGS, hostPort, listenAddress } from './address.js';
import { untilInterrupted } from './signals.js';
import { sendable } from './session.js';
import type { Command } from './command.js';

/** Autobahn's largest cases (9.x) send 16 MiB messages. */
export const AUTOBAHN_MAX_MESSAGE_SIZE = 64 * 1024 * 1024;

export const NO_DEFLATE_FLAG = { type: 'boolean', help: 'do not negotiate permessage-deflate' } as const;

/** Echoes until the peer closes: text as text, binary as binary. */
export async function echoMessages(ws: WebSocket): Promise<void> {
  for (;;) {
    const message = await ws.receive();
    if (message === null) return;
    await ws.send(sendable(message)).catch(() => {});
  }
}

export const echo: Command = {
  name: 'echo',
  summary: 'echo server at / (the Autobahn fuzzingclient testee)',
  flags: { ...ADDRESS_FLAGS, 'no-deflate': NO_DEFLATE_FLAG },
  async run({ values }) {
    const { host, port } = listenAddress(values, 9001);
    const deflate = values['no-deflate'] !== true;
    const server = new WebSocketServer({ perMessageDeflate: deflate, maxMessageSize: AUTOBAHN_MAX_MESSAGE_SIZE });
    server.route('/', echoMessages);
    const bound = await server.listen(port, host);
    console.log(`echo server on ws://${hostPort(host, bound.port)}/ (permessage-deflate ${deflate ? 'on' : 'off'})`);
    await untilInterrupted();
    await server.close();
    return 0;
  },
};
