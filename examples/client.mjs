// The seed's "Basic Echo Client", in JavaScript:
//   node examples/client.mjs ws://127.0.0.1:8080/echo
import * as ws from 'scriptling-websocket';

const url = process.argv[2] ?? 'ws://127.0.0.1:8080/echo';
const conn = await ws.connect(url, 10);
try {
  await conn.send('Hello, WebSocket!');
  const msg = await conn.receive(5);
  console.log(`Received: ${msg}`);
  await conn.send({ type: 'ping', data: 'test' });
  console.log(`Received: ${await conn.receive(5)}`);
  await conn.send_binary([0x01, 0x02, 0x03, 0xff]);
  const bin = await conn.receive(5);
  if (ws.is_binary(bin)) console.log(`Received ${bin.length} bytes: ${bin.join(',')}`);
} finally {
  await conn.close();
}
