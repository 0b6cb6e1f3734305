// The seed's servers for the synchronous client tests, in a process of
// their own (a blocked test thread cannot serve): the seed's handlers by
// name, plus the routes its client examples talk to. Prints one JSON line
// {"port", "headerPort", "blackhole"}; serves until stdin closes.
//   node seed-server.mjs [KEY.pem CERT.pem]   (with files: wss://)
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, dirname } from 'node:path';
import * as ws from 'scriptling-websocket';
import { WebSocketServer } from 'scriptling-websocket/core';

const [keyFile, certFile] = process.argv.slice(2);
const tls = keyFile ? { key: readFileSync(keyFile), cert: readFileSync(certFile) } : undefined;

const runtime = ws.createRuntime();
runtime.http.websocket('/chat', 'handlers.chat_handler');
runtime.http.websocket('/echo', 'handlers.echo_handler');
runtime.http.websocket('/updates', async (client) => {
  const msg = await client.receive(5);
  await client.send(`subscribed: ${msg}`);
  await client.send('update 1');
  await client.send('update 2');
});
runtime.http.websocket('/mixed', async (client) => {
  await client.send('text one');
  await client.send_binary([0xde, 0xad, 0xbe, 0xef]);
  await client.send('text two');
});
runtime.http.websocket('/silent', async (client) => {
  while (client.connected()) await client.receive(null); // reads, never answers
});
runtime.http.websocket('/drop', async (client) => {
  await client.receive(5); // then the TCP connection is lost, without a Close frame
  client.engine.terminate();
});
runtime.http.websocket('/later', async (client) => {
  const msg = await client.receive(5);
  await new Promise((resolve) => setTimeout(resolve, 300));
  await client.send(`later: ${msg}`);
  await client.receive(5);
});
runtime.http.websocket('/flood', async (client) => {
  // "flood N SIZE": N binary messages of SIZE bytes, as fast as the socket takes them.
  const [, count, size] = (await client.receive(5)).split(' ').map(Number);
  const payload = new Uint8Array(size).fill(7);
  for (let i = 0; i < count; i++) {
    payload[0] = i & 0xff;
    await client.send_binary(payload);
  }
  await client.send('flood done');
  await client.receive(30);
});

const examples = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples');
const server = await runtime.http.serve({ port: 0, libraryPath: examples, tls, maxMessageSize: 2 ** 24 }); // as the Python peer: the tests send 4 MiB
// The custom-headers example needs the request, which the engine's route handler gets.
const headerServer = new WebSocketServer({ tls });
headerServer.route('/headers', async (socket, request) => {
  await socket.send(`${request.headers.authorization} / ${request.headers['x-custom-header']}`);
  await socket.receive(5000);
});
const { port: headerPort } = await headerServer.listen(0, '127.0.0.1');
// Accepts TCP and never answers: a handshake that cannot finish.
const blackhole = net.createServer(() => {});
await new Promise((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
console.log(JSON.stringify({ port: server.port, headerPort, blackhole: blackhole.address().port }));
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
