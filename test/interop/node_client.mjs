// Node's built-in WebSocket client (undici; `--experimental-websocket` on Node 20)
// against our server. Prints a JSON report.
const url = process.argv[2];
const ws = new WebSocket(url);
ws.binaryType = 'arraybuffer';
const report = {};
const next = () => new Promise((resolve) => ws.addEventListener('message', (e) => resolve(e.data), { once: true }));
ws.addEventListener('error', (e) => {
  console.log(JSON.stringify({ error: String(e.message ?? e) }));
  process.exit(1);
});
ws.addEventListener('open', async () => {
  report.extensions = ws.extensions;
  ws.send('hello from node');
  report.text = await next();
  ws.send(new Uint8Array([0, 1, 2, 255]));
  report.binary = [...new Uint8Array(await next())];
  const big = 'x'.repeat(300000);
  ws.send(big);
  report.bigOk = (await next()) === big;
  ws.addEventListener('close', (e) => {
    report.closeCode = e.code;
    report.wasClean = e.wasClean;
    console.log(JSON.stringify(report));
  });
  ws.close(4001, 'bye');
});
