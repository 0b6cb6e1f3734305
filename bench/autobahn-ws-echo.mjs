// A ws echo server with permessage-deflate, to time Autobahn's categories
// against ws on the same machine: AUTOBAHN_SERVER_CMD="node bench/autobahn-ws-echo.mjs" scripts/autobahn.sh server '9.*,12.*,13.*'
import { createRequire } from 'node:module';
const require = createRequire(new URL('./package.json', import.meta.url));
const { WebSocketServer } = require('ws');
const port = Number(process.argv[2] ?? 9001);
// maxFragments: 0 lifts ws's default cap of 16384 fragments per message, which
// otherwise fails 9.3.1/9.4.1 (65536 fragments) with 1008 before any timing.
const server = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: true, maxPayload: 64 * 1024 * 1024, maxFragments: 0 });
// ws reports a peer's protocol error as an 'error' event (then closes with 1002); without a listener it would crash.
server.on('connection', (ws) => {
  ws.on('error', () => {});
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
console.log(`ws ${require('ws/package.json').version} echo server on ws://127.0.0.1:${port}/`);
