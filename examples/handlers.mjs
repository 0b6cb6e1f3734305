// The seed's server handlers, written against scriptling-websocket.
// Loaded by name ("handlers.chat_handler") by `npm start`, once per runtime,
// so `_clients` is shared by every connection, as in the seed.
import * as ws from 'scriptling-websocket';

const _clients = [];

/**
 * The seed's chat example: welcome, then broadcast every message to every
 * client. `ws.broadcast` stands for the seed's `for c in _clients: if
 * c.connected(): c.send(msg)`: it skips clients that are leaving and never
 * waits on one that does not read, so neither can break the chat (README,
 * "Broadcasting to many clients").
 */
export async function chat_handler(client) {
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
