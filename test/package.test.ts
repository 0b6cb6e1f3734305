// The package as a user gets it: `npm pack` on a fresh clone (its prepare script
// installs the dev dependencies and builds), installed from the tarball into a
// fresh project, and `npm install git+file://…`; then used the ways the README says:
// the CLI, ESM and CommonJS imports, a TypeScript consumer under --strict
// with `types: []`, and the README's full examples against the installed types.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connect } from '../src/transport/client.js';
import { ROOT } from './helpers.js';
import { readmeExamples } from './readme-examples.js';

const run = promisify(execFile);
// The clone's npm ci and the installs take packages from npm's cache where it has them (the registry otherwise).
const npmEnv = { ...process.env, npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false' };
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** Round trip through the installed package, the same in both module systems. */
const roundTrip = (load: (name: string) => string) => `
  const { WebSocketServer } = ${load('scriptling-websocket/core')};
  const sws = ${load('scriptling-websocket')};
  const server = new WebSocketServer();
  server.route('/', async (ws) => { for (let m; (m = await ws.receive()) !== null;) await ws.send(m); });
  const { port } = await server.listen(0);
  const conn = await sws.connect('ws://127.0.0.1:' + port + '/');
  await conn.send('ping');
  await conn.send_binary([1, 2, 255]);
  const text = await conn.receive(5);
  const binary = await conn.receive(5);
  await conn.close();
  await server.close();
  console.log(JSON.stringify({ text, binary }));`;

const CONSUMER_TS = `import { connect, WebSocketServer, CloseCode, type WebSocket } from 'scriptling-websocket/core';
import * as sws from 'scriptling-websocket';

const server = new WebSocketServer({ perMessageDeflate: false, maxMessageSize: 1024 * 1024 });
server.route('/', async (ws: WebSocket) => {
  for (let m = await ws.receive(); m !== null; m = await ws.receive()) {
    if (typeof m === 'string') await ws.send(m.toUpperCase());
    else if (Buffer.isBuffer(m)) await ws.send(m);
  }
});
const { port }: { port: number } = await server.listen(0);
const client = await connect(\`ws://127.0.0.1:\${port}/\`, { timeout: 5000, headers: { 'X-Demo': '1' } });
await client.send(Buffer.from([1, 2, 3]));
const info: { code: number; reason: string } | null = client.closeInfo;
await client.close(CloseCode.NORMAL, info === null ? 'done' : info.reason);
const conn: sws.WebSocketConnection = await sws.connect(\`ws://127.0.0.1:\${port}/\`, { timeout: 5 });
const message: string | number[] | null = await conn.receive(1);
if (sws.is_binary(message)) console.log(message.length);
await server.close();
`;

describe('the packed package of a fresh clone, installed from its tarball', { timeout: 300_000 }, () => {
  let project = '';
  let installed = '';

  before(async () => {
    project = mkdtempSync(join(tmpdir(), 'sws-consumer-'));
    // What is committed, as a user clones it: no node_modules, no dist.
    const clone = join(project, 'clone');
    await run('git', ['clone', '--quiet', ROOT, clone]);
    const { stdout } = await run(npm, ['pack', '--silent', '--pack-destination', project], { cwd: clone, encoding: 'utf8', env: npmEnv, maxBuffer: 64 * 1024 * 1024 });
    const tarball = join(project, stdout.trim().split('\n').pop()!);
    rmSync(clone, { recursive: true, force: true });
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
    await run(npm, ['install', '--offline', '--no-audit', '--no-fund', tarball], { cwd: project, encoding: 'utf8' });
    installed = join(project, 'node_modules', 'scriptling-websocket');
  });

  after(() => {
    if (project !== '') rmSync(project, { recursive: true, force: true });
  });

  test('ships the LICENSE, the demo page and handlers, and no source maps', async () => {
    const { stdout } = await run(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
    const files = (JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>)[0].files.map((f) => f.path);
    for (const path of ['LICENSE', 'README.md', 'examples/index.html', 'examples/handlers.mjs', 'dist/src/cli.js', 'dist/src/index.d.ts']) assert.ok(files.includes(path), path);
    assert.deepEqual(files.filter((path) => path.endsWith('.map') || path.startsWith('src/') || path.startsWith('dist/test')), []);
    assert.match(readFileSync(join(installed, 'LICENSE'), 'utf8'), /MIT License[\s\S]*scriptling-websocket contributors/);
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as Record<string, unknown>;
    // repository and homepage wait for the project's public address: a guessed one would send users to a wrong page.
    for (const field of ['keywords', 'license', 'description']) assert.ok(manifest[field], field);
  });

  test('npx scriptling-ws --version and --help', async () => {
    const [{ stdout: printed }, { stdout: help }] = await Promise.all(['--version', '--help'].map((flag) => run('npx', ['scriptling-ws', flag], { cwd: project, encoding: 'utf8' })));
    assert.equal(printed.trim(), version);
    for (const command of ['connect', 'listen', 'serve', 'echo', 'autobahn', 'fuzz']) assert.match(help, new RegExp(`^  ${command} `, 'm'));
  });

  test('scriptling-ws serve answers GET / with the page and /echo over WebSocket', async () => {
    const child = spawn(join(project, 'node_modules', '.bin', 'scriptling-ws'), ['serve', '--port', '0'], { cwd: project, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const base = await urlLine(child, /page: +(http:\/\/\S+)/);
      const page = await fetch(base);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<title>scriptling-websocket example<\/title>/);
      const ws = await connect(`${base.replace('http', 'ws')}echo`);
      await ws.send('hello');
      assert.match(String(await ws.receive(5000)), /hello/);
      await ws.close();
    } finally {
      child.kill();
    }
  });

  test('ESM: the main export and /core import and work', async () => {
    writeFileSync(join(project, 'esm.mjs'), roundTrip((name) => `await import('${name}')`));
    const { stdout } = await run(process.execPath, ['esm.mjs'], { cwd: project, encoding: 'utf8' });
    assert.deepEqual(JSON.parse(stdout), { text: 'ping', binary: [1, 2, 255] });
  });

  test('CommonJS: require() (Node ≥ 20.19) and await import() both work', async () => {
    for (const load of [(name: string) => `require('${name}')`, (name: string) => `await import('${name}')`]) {
      writeFileSync(join(project, 'cjs.cjs'), `(async () => {${roundTrip(load)}\n})().catch((e) => { console.error(e); process.exit(1); });`);
      const { stdout, stderr } = await run(process.execPath, ['cjs.cjs'], { cwd: project, encoding: 'utf8' });
      assert.deepEqual(JSON.parse(stdout), { text: 'ping', binary: [1, 2, 255] });
      assert.equal(stderr, '');
    }
  });

  test('sync: the blocking client runs from the installed package (its worker threads load from there)', async () => {
    // The sync client blocks its thread, so the server is another process.
    writeFileSync(join(project, 'sync-server.mjs'), `import { WebSocketServer } from 'scriptling-websocket/core';
      const server = new WebSocketServer();
      server.route('/', async (ws) => { for (let m; (m = await ws.receive()) !== null;) await ws.send(m); });
      console.log((await server.listen(0)).port);`);
    writeFileSync(join(project, 'sync-client.mjs'), `import * as ws from 'scriptling-websocket/sync';
      const conn = ws.connect('ws://127.0.0.1:' + process.argv[2] + '/', 5);
      conn.send('ping');
      conn.send_binary([1, 2, 255]);
      console.log(JSON.stringify({ text: conn.receive(5), binary: conn.receive(5) }));
      conn.close();`);
    const server = spawn(process.execPath, ['sync-server.mjs'], { cwd: project, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const port = await new Promise<string>((resolve) => server.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim())));
      const { stdout } = await run(process.execPath, ['sync-client.mjs', port], { cwd: project, encoding: 'utf8' });
      assert.deepEqual(JSON.parse(stdout), { text: 'ping', binary: [1, 2, 255] });
    } finally {
      server.kill();
    }
  });

  test('TypeScript with the node10 resolution (typesVersions) finds /core and /sync; the binding exports WebSocketError', async () => {
    const dir = join(project, 'node10');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'consumer.ts'), `import { WebSocketServer, CloseCode } from 'scriptling-websocket/core';
import { connect as connectSync, SyncConnection } from 'scriptling-websocket/sync';
import { connect, WebSocketError, ConnectError } from 'scriptling-websocket';
export async function main(url: string): Promise<string> {
  const server: WebSocketServer = new WebSocketServer();
  const sync: (u: string) => SyncConnection = connectSync;
  try {
    const conn = await connect(url);
    await conn.send('x');
  } catch (error) {
    if (error instanceof WebSocketError) return \`\${error.code} \${error.closeCode}\`;
    if (error instanceof ConnectError) return error.code;
  }
  await server.close();
  return String(CloseCode.NORMAL) + typeof sync;
}
`);
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { strict: true, module: 'commonjs', moduleResolution: 'node10', esModuleInterop: true, target: 'es2022', lib: ['es2022'], types: [], noEmit: true },
      files: ['consumer.ts'],
    }));
    mkdirSync(join(project, 'node_modules', '@types'), { recursive: true });
    if (!existsSync(join(project, 'node_modules', '@types', 'node'))) symlinkSync(join(ROOT, 'node_modules', '@types', 'node'), join(project, 'node_modules', '@types', 'node'), 'dir');
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = await run(process.execPath, [tsc, '-p', '.'], { cwd: dir, encoding: 'utf8' }).catch((error: { stdout: string }) => error);
    assert.equal(result.stdout, '', `tsc reported:\n${result.stdout}`);
    const binding = await run(process.execPath, ['--input-type=module', '-e', "const m = await import('scriptling-websocket'); const core = await import('scriptling-websocket/core'); console.log(m.WebSocketError === core.WebSocketError)"], { cwd: project, encoding: 'utf8' });
    assert.equal(binding.stdout.trim(), 'true');
  });

  test('TypeScript --strict with types: [] compiles a consumer and the README full examples', async () => {
    // The user's own @types/node (the shipped .d.ts reference it; the consumer does not list it in `types`).
    mkdirSync(join(project, 'node_modules', '@types'), { recursive: true });
    if (!existsSync(join(project, 'node_modules', '@types', 'node'))) symlinkSync(join(ROOT, 'node_modules', '@types', 'node'), join(project, 'node_modules', '@types', 'node'), 'dir');
    const files = ['consumer.mts'];
    writeFileSync(join(project, 'consumer.mts'), CONSUMER_TS);
    for (const [i, example] of readmeExamples().entries()) {
      const name = `readme-${i + 1}-line-${example.line}.${example.language === 'ts' ? 'mts' : 'mjs'}`;
      writeFileSync(join(project, name), example.code);
      files.push(name);
    }
    assert.ok(files.length > 1, 'the README has full examples');
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2022'], types: [], noEmit: true, allowJs: true, checkJs: true,
      },
      files,
    }));
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = await run(process.execPath, [tsc, '-p', '.'], { cwd: project, encoding: 'utf8' }).catch((error: { stdout: string }) => error);
    assert.equal(result.stdout, '', `tsc reported:\n${result.stdout}`);
  });
});

describe('npm install git+file://… (a git dependency: npm runs its prepare script)', { timeout: 300_000 }, () => {
  test('installs built code: the binding round-trips and the CLI prints its version', async () => {
    const project = mkdtempSync(join(tmpdir(), 'sws-git-consumer-'));
    try {
      writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
      await run(npm, ['install', `git+file://${ROOT}`], { cwd: project, encoding: 'utf8', env: npmEnv, maxBuffer: 64 * 1024 * 1024 });
      writeFileSync(join(project, 'esm.mjs'), roundTrip((name) => `await import('${name}')`));
      const { stdout } = await run(process.execPath, ['esm.mjs'], { cwd: project, encoding: 'utf8' });
      assert.deepEqual(JSON.parse(stdout), { text: 'ping', binary: [1, 2, 255] });
      const { stdout: printed } = await run(join(project, 'node_modules', '.bin', 'scriptling-ws'), ['--version'], { encoding: 'utf8' });
      assert.equal(printed.trim(), version);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
});

/** Waits for the child's stdout line matching `pattern` and returns its first group. */
function urlLine(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = pattern.exec(seen);
      if (match) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code} before printing ${pattern}: ${seen}`)));
  });
}
