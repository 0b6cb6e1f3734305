// The seed's server handlers, written against scriptling-websocket.
// Loaded by name ("handlers.chat_handler") by `npm start`, once per runtime,
// so `_clients` is shared by every connection, as in the seed; the chat
// itself is on a topic, so it spans workers and hosts too.
import * as ws from 'scriptling-websocket';

const { runtime } = ws;

/**
 * The seed's chat example on a topic: every client subscribes to "chat"
 * and every message is published to it. Unlike a list of clients in this
 * module, a topic spans every worker (`--workers`) and every host joined
 * through Redis (`--pubsub`): one room, each message to each client once.
 * A client leaves its topics when it closes; one that does not read misses
 * messages instead of stalling the others (README, "Topics").
 */
export async function chat_handler(client) {
  client.subscribe('chat');
  await client.send('Welcome to the chat!');
  while (client.connected()) {
    const msg = await client.receive(60);
    if (msg) runtime.publish('chat', msg);
  }
}

const _clients = [];

/**
 * The seed's chat example as written there: a module-level list, which
 * reaches only the clients of this one process. `ws.broadcast` stands for
 * the seed's `for c in _clients: if c.connected(): c.send(msg)`: it skips
 * clients that are leaving and never waits on one that does not read.
 */
export async function seed_chat_handler(client) {
  _clients.push(client);
  await client.send('Welcome to the chat!');
  try {
    while (client.connected()) {
      const msg = await client.receive(60);
      if (msg) ws.broadcast(_clients, msg);
    }
  } finally {
    _clients.splice(_clients.indexOf(client), 1);
  }
}

/** The seed's echo handler: text comes back prefixed, binary comes back as is. */
export async function echo_handler(client) {
  while (client.connected()) {
    const msg = await client.receive(60);
    if (msg) {
      if (ws.is_text(msg)) await client.send(`Echo text: ${msg}`);
      else if (ws.is_binary(msg)) await client.send_binary(msg);
    }
  }
}
