// ws as the client an Autobahn fuzzing server tests: /getCaseCount, /runCase
// for each, /updateReports.   node bench/autobahn-ws-client.mjs ws://127.0.0.1:9001 AGENT
// permessage-deflate is off (categories 12/13 then come out UNIMPLEMENTED) unless AUTOBAHN_DEFLATE=1
// asks for ws's default offer, as categories 12/13 need.
import { createRequire } from 'node:module';
const require = createRequire(new URL('./package.json', import.meta.url));
const WebSocket = require('ws');
const base = (process.argv[2] ?? 'ws://127.0.0.1:9001').replace(/\/$/, '');
const agent = encodeURIComponent(process.argv[3] ?? `ws ${require('ws/package.json').version}`);

const open = (path, echo) =>
  new Promise((resolve) => {
    const ws = new WebSocket(`${base}${path}`, { maxPayload: 64 * 1024 * 1024, perMessageDeflate: process.env.AUTOBAHN_DEFLATE === '1' });
    let first = null;
    ws.on('message', (data, isBinary) => {
      first ??= data.toString();
      if (echo) ws.send(data, { binary: isBinary });
    });
    ws.on('error', () => {});
    ws.on('close', () => resolve(first));
  });

const count = Number(await open('/getCaseCount', false));
for (let i = 1; i <= count; i++) await open(`/runCase?case=${i}&agent=${agent}`, true);
await open(`/updateReports?agent=${agent}`, false);
console.log(`ran ${count} cases`);
