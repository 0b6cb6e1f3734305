// Node's built-in WebSocket client (`--experimental-websocket` on Node 20)
// offering subprotocols: prints the protocol it agreed and the server's first message.
const [url, protocols] = [process.argv[2], JSON.parse(process.argv[3])];
const ws = new WebSocket(url, protocols);
ws.addEventListener('error', (e) => {
  console.log(JSON.stringify({ error: String(e.message ?? e) }));
  process.exit(1);
});
ws.addEventListener('message', (e) => {
  console.log(JSON.stringify({ protocol: ws.protocol, serverSays: e.data }));
  ws.close();
}, { once: true });
