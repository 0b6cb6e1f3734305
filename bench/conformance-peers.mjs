// The verdict table of real peers for categories 14 (opening handshake) and
// 15 (permessage-deflate negotiation): `scriptling-ws fuzz` in both roles
// against ours, ws 8, Python websockets (Debian), Node 22's built-in
// WebSocket client and headless Chromium, as far as each is installed.
//   npm run build && (cd bench && npm ci) && node bench/conformance-peers.mjs [OUTDIR]
// Env: NODE22 (a Node 22+ binary, default /root/.cache/sws-runtimes/node22/bin/node), CHROMIUM (default chromium).
// Prints a Markdown table of every verdict that is not OK, and the counts.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const outdir = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'conformance-peers-'));
const cli = join(root, 'dist', 'src', 'cli.js');
const NODE22 = process.env.NODE22 ?? '/root/.cache/sws-runtimes/node22/bin/node';
const CHROMIUM = process.env.CHROMIUM ?? 'chromium';
const PYTHON = '/usr/bin/python3';

const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/** Spawns a process; resolves once `ready` matches its stdout (or at once without it). */
function start(cmd, args, { ready, cwd = root, env } = {}) {
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  child.stderr.on('data', (d) => (out += d));
  const started = new Promise((resolve, reject) => {
    if (!ready) return resolve(child);
    child.stdout.on('data', (d) => {
      out += d;
      const m = ready.exec(out);
      if (m) resolve(Object.assign(child, { match: m }));
    });
    child.once('exit', (code) => reject(new Error(`${cmd} exited with ${code}: ${out.slice(-500)}`)));
  });
  child.done = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  return started;
}

async function runFuzz(args) {
  const child = await start(process.execPath, [cli, 'fuzz', ...args]);
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  await child.done;
  return out;
}

const verdictsOf = (dir) => {
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
  const [agent] = Object.keys(index);
  const result = {};
  for (const [id, r] of Object.entries(index[agent])) {
    const detail = JSON.parse(readFileSync(join(dir, r.reportfile), 'utf8'));
    result[id] = { verdict: r.behaviorClose === 'OK' ? r.behavior : `${r.behavior}/${r.behaviorClose}`, why: detail.result };
  }
  return result;
};

const SERVERS = [
  { name: 'ours (Node 20)', cmd: process.execPath, args: [join(root, 'dist', 'src', 'cli.js'), 'echo', '--port', '{port}'], ready: /ws:\/\// },
  { name: 'ours (Node 22)', cmd: NODE22, args: [join(root, 'dist', 'src', 'cli.js'), 'echo', '--port', '{port}'], ready: /ws:\/\//, needs: NODE22 },
  { name: 'ws 8', cmd: process.execPath, args: [join(here, 'autobahn-ws-echo.mjs'), '{port}'], ready: /echo server/, needs: join(here, 'node_modules', 'ws') },
  { name: 'Python websockets', cmd: PYTHON, args: [join(here, 'autobahn-python-echo.py'), '{port}'], ready: /echo server/, needs: PYTHON },
];

/** Node 22's WebSocket (undici) as an Autobahn-style client. */
const NODE_CLIENT = `
const base = process.argv[1], agent = process.argv[2];
const open = (path, echo) => new Promise((resolve) => {
  let ws;
  try { ws = new WebSocket(base + path); } catch { return resolve(null); }
  ws.binaryType = 'arraybuffer';
  let first = null;
  ws.onmessage = (e) => { first ??= String(e.data); if (echo) ws.send(e.data); };
  ws.onerror = () => {};
  // undici fires no close event for some failed handshakes (14.9.1): go on after 5 s.
  const timer = setTimeout(() => resolve(first), 5000);
  ws.onclose = () => { clearTimeout(timer); resolve(first); };
});
const count = Number(await open('/getCaseCount', false));
for (let i = 1; i <= count; i++) await open('/runCase?case=' + i + '&agent=' + agent, true);
await open('/updateReports?agent=' + agent, false);
`;

/** The page Chromium runs: Autobahn's browser driver protocol. */
const PAGE = (port) => `<!DOCTYPE html><script>
const base = 'ws://127.0.0.1:${port}';
const open = (path, echo) => new Promise((resolve) => {
  const ws = new WebSocket(base + path);
  ws.binaryType = 'arraybuffer';
  let first = null;
  ws.onmessage = (e) => { first ??= String(e.data); if (echo) ws.send(e.data); };
  const timer = setTimeout(() => resolve(first), 5000);
  ws.onclose = () => { clearTimeout(timer); resolve(first); };
});
(async () => {
  const count = Number(await open('/getCaseCount', false));
  for (let i = 1; i <= count; i++) await open('/runCase?case=' + i + '&agent=chromium', true);
  await open('/updateReports?agent=chromium', false);
})();
</script>`;

const CLIENTS = [
  { name: 'ours', run: (url) => start(process.execPath, [join(root, 'dist', 'src', 'cli.js'), 'autobahn', '--url', url, '--agent', 'ours']) },
  { name: 'ws 8', needs: join(here, 'node_modules', 'ws'), run: (url) => start(process.execPath, [join(here, 'autobahn-ws-client.mjs'), url, 'ws'], { env: { AUTOBAHN_DEFLATE: '1' } }) },
  { name: 'Python websockets', needs: PYTHON, run: (url) => start(PYTHON, [join(here, 'autobahn-python-client.py'), url, 'python']) },
  { name: 'Node 22 WebSocket', needs: NODE22, run: (url) => start(NODE22, ['--input-type=module', '-e', NODE_CLIENT, url, 'node22']) },
  {
    name: 'Chromium',
    run: (url, port) => {
      const dir = mkdtempSync(join(tmpdir(), 'chromium-'));
      writeFileSync(join(dir, 'driver.html'), PAGE(port));
      return start(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${join(dir, 'profile')}`, `file://${join(dir, 'driver.html')}`]);
    },
  },
];

const table = {};
for (const s of SERVERS) {
  if (s.needs && !existsSync(s.needs)) {
    console.error(`skipping server ${s.name}: ${s.needs} is missing`);
    continue;
  }
  const port = await freePort();
  const child = await start(s.cmd, s.args.map((a) => a.replace('{port}', String(port))), { ready: s.ready });
  const dir = join(outdir, `server-${s.name.replace(/\W+/g, '_')}`);
  await runFuzz(['server', `ws://127.0.0.1:${port}/`, '--cases', '14.*,15.*', '--outdir', dir, '--agent', s.name, '--parallel', '4']);
  child.kill();
  table[`server: ${s.name}`] = verdictsOf(dir);
  console.error(`server ${s.name}: done`);
}
for (const c of CLIENTS) {
  if (c.needs && !existsSync(c.needs)) {
    console.error(`skipping client ${c.name}: ${c.needs} is missing`);
    continue;
  }
  const dir = join(outdir, `client-${c.name.replace(/\W+/g, '_')}`);
  const fuzzer = await start(process.execPath, [cli, 'fuzz', 'client', '--port', '0', '--cases', '14.*,15.*', '--outdir', dir], { ready: /ws:\/\/127\.0\.0\.1:(\d+)/ });
  const port = fuzzer.match[1];
  const driver = await c.run(`ws://127.0.0.1:${port}`, port);
  const timer = setTimeout(() => fuzzer.kill(), 180_000);
  await fuzzer.done;
  clearTimeout(timer);
  driver.kill();
  table[`client: ${c.name}`] = existsSync(join(dir, 'index.json')) ? verdictsOf(dir) : {};
  console.error(`client ${c.name}: done`);
}
writeFileSync(join(outdir, 'table.json'), JSON.stringify(table, null, 2));

const columns = Object.keys(table);
const ids = [...new Set(columns.flatMap((c) => Object.keys(table[c])))].sort((a, b) => {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
});
console.log(`| peer | cases | OK | NON-STRICT | INFORMATIONAL | UNIMPLEMENTED | FAILED |\n|---|---|---|---|---|---|---|`);
for (const c of columns) {
  const v = Object.values(table[c]).map((r) => r.verdict.split('/')[0]);
  const n = (k) => v.filter((x) => x === k).length;
  console.log(`| ${c} | ${v.length} | ${n('OK')} | ${n('NON-STRICT')} | ${n('INFORMATIONAL')} | ${n('UNIMPLEMENTED')} | ${n('FAILED')} |`);
}
console.log('\n| case | peer | verdict | why |\n|---|---|---|---|');
for (const id of ids) {
  for (const c of columns) {
    const r = table[c][id];
    if (r && r.verdict !== 'OK') console.log(`| ${id} | ${c} | ${r.verdict} | ${r.why.replace(/\|/g, '\\|').slice(0, 220)} |`);
  }
}
console.error(`reports in ${outdir}`);
