// The copied-file smoke suite, run by scripts/smoke.mjs under each runtime of the support table, in an empty
// folder that holds only this file, smoke.cjs and the one-file build (no package.json, no node_modules):
//   <runtime> smoke.mjs                 runs every check, one line each ("ok <check>" or "FAIL <check>: why")
//   <runtime> smoke.mjs server          the server the checks talk to, started from the same file
// SMOKE_RUNTIME: the runtime's command as a JSON array (deno needs `run -A`); SMOKE_CERT/SMOKE_KEY: PEM files.
// Plain JavaScript and node: built-ins only, so that every runtime runs it as it is.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const LIB = './scriptling-websocket.mjs';
const runtime = JSON.parse(process.env.SMOKE_RUNTIME ?? JSON.stringify([process.execPath]));
const tls = { cert: readFileSync(process.env.SMOKE_CERT), key: readFileSync(process.env.SMOKE_KEY) };
const lib = await import(LIB);

if (process.argv[2] === 'server') await serve();
else process.exitCode = await checkAll();

/** Echo on /echo (text as text, binary as binary), over ws:// and wss://; prints the two ports as JSON. */
async function serve() {
  const app = lib.createRuntime();
  app.http.websocket('/echo', async (client) => {
    while (client.connected()) {
      const message = await client.receive(30);
      if (lib.is_text(message)) await client.send(message);
      else if (lib.is_binary(message)) await client.send_binary(message);
    }
  });
  const plain = await app.http.serve({ host: '127.0.0.1', port: 0 });
  const secure = await app.http.serve({ host: '127.0.0.1', port: 0, tls });
  console.log(JSON.stringify({ ws: plain.port, wss: secure.port }));
  // Ends when the suite closes our stdin (or kills us).
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
}

/** A child of the same runtime: the command, its first line of output matching `pattern`, and a stop. */
function start(args, pattern, { timeoutMs = 30_000 } = {}) {
  const child = spawn(runtime[0], [...runtime.slice(1), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, output })));
  const matched = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; stderr: ${output.slice(-500)}`)), timeoutMs);
    createInterface({ input: child.stdout }).on('line', (line) => {
      output += `${line}\n`;
      const match = pattern.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    });
    child.on('close', () => {
      clearTimeout(timer);
      reject(new Error(`exited before printing ${pattern}: ${output.slice(-800)}`));
    });
  });
  matched.catch(() => {});
  return { child, matched, exited, stop: () => (child.kill('SIGINT'), exited) };
}

/** Runs a command of the same runtime to its end; resolves with its exit code and output. */
function run(args, timeoutMs = 120_000) {
  const { child, exited } = start(args, /$^/);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return exited.finally(() => clearTimeout(timer));
}

function expectEqual(actual, expected, what) {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

/** The seed's echo client with the async binding: text, a dict as JSON, bytes. */
async function asyncEcho(url, options) {
  const conn = await lib.connect(url, options);
  try {
    await conn.send('Hello, WebSocket!');
    expectEqual(await conn.receive(10), 'Hello, WebSocket!', 'text');
    await conn.send({ type: 'ping', data: 'test' });
    expectEqual(JSON.parse(await conn.receive(10)), { type: 'ping', data: 'test' }, 'dict');
    await conn.send_binary([0, 1, 2, 127, 128, 255]);
    const bytes = await conn.receive(10);
    if (!lib.is_binary(bytes)) throw new Error(`binary came back as ${typeof bytes}`);
    expectEqual([...bytes], [0, 1, 2, 127, 128, 255], 'binary');
  } finally {
    await conn.close();
  }
}

/** The same with the blocking client (its calls return values, not promises). */
function syncEcho(connect, url, options) {
  const conn = connect(url, options);
  try {
    conn.send('Hello, sync!');
    expectEqual(conn.receive(10), 'Hello, sync!', 'text');
    conn.send_binary([9, 8, 7, 0, 255]);
    expectEqual([...conn.receive(10)], [9, 8, 7, 0, 255], 'binary');
  } finally {
    conn.close();
  }
}

async function checkAll() {
  const server = start(['smoke.mjs', 'server'], /^\{"ws":\d+,"wss":\d+\}$/);
  const results = [];
  const check = async (name, body) => {
    try {
      await body();
      results.push(`ok ${name}`);
    } catch (error) {
      results.push(`FAIL ${name}: ${String(error?.stack ?? error).split('\n').slice(0, 4).join(' | ')}`);
    }
    console.log(results.at(-1));
  };
  let ports = null;
  await check('server', async () => {
    ports = JSON.parse((await server.matched)[0]);
  });
  const ws = `ws://127.0.0.1:${ports?.ws}/echo`;
  const wss = `wss://127.0.0.1:${ports?.wss}/echo`;
  const trust = { timeout: 10, ca: tls.cert, servername: 'localhost' };
  await check('async', () => asyncEcho(ws, 10));
  await check('sync', () => syncEcho(lib.sync.connect, ws, 10));
  await check('sync-worker', () => {
    const worker = new lib.sync.SyncWorker({ socketThread: 'worker' });
    syncEcho((url, options) => worker.connect(url, options), ws, 10);
  });
  await check('tls', async () => {
    await asyncEcho(wss, trust);
    syncEcho(lib.sync.connect, wss, trust);
  });
  await check('cjs', async () => {
    const { code, output } = await run(['smoke.cjs', ws]);
    if (code !== 0 || !output.includes('cjs echo ok')) throw new Error(`exit ${code}: ${output.slice(-500)}`);
  });
  await check('cli', async () => {
    const version = await run([LIB, '--version']);
    if (version.code !== 0 || !/^\d+\.\d+\.\d+/.test(version.output)) throw new Error(`--version: exit ${version.code}: ${version.output}`);
    const echo = start([LIB, 'echo', '--port', '0'], /echo server on (ws:\/\/\S+)/);
    try {
      const [, url] = await echo.matched;
      const fuzz = await run([LIB, 'fuzz', 'server', url, '--cases', '1.*,2.*,5.*', '--outdir', 'reports-server']);
      if (fuzz.code !== 0) throw new Error(`fuzz server against echo: exit ${fuzz.code}: ${fuzz.output.slice(-800)}`);
    } finally {
      await echo.stop();
    }
  });
  await check('fuzz', async () => {
    const fuzzer = start([LIB, 'fuzz', 'client', '--port', '0', '--cases', '1.*,2.*,5.*', '--outdir', 'reports-client'], /fuzzing server on (ws:\/\/\S+?):? /);
    try {
      const [, url] = await fuzzer.matched;
      const client = await run([LIB, 'autobahn', '--url', url.replace(/:$/, '')]);
      if (client.code !== 0) throw new Error(`autobahn client: exit ${client.code}: ${client.output.slice(-800)}`);
      const { code, output } = await fuzzer.exited;
      if (code !== 0) throw new Error(`fuzz client: exit ${code}: ${output.slice(-800)}`);
    } finally {
      fuzzer.child.kill('SIGINT');
    }
  });
  server.child.stdin.end();
  await Promise.race([server.exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
  server.child.kill('SIGKILL');
  return results.every((line) => line.startsWith('ok ')) ? 0 : 1;
}
