#!/usr/bin/env node
// The copied-file smoke suite on every runtime of the support table (`npm run smoke`):
// for each runtime, an empty temporary folder gets only the one-file build (vendor/scriptling-websocket.mjs
// and .cjs) and test/smoke/smoke.{mjs,cjs}, and the runtime runs smoke.mjs there (see that file for the checks).
//   node scripts/smoke.mjs [--runtimes node18,deno2,...] [--vendor DIR] [--table FILE]
// Prints one line per check and a runtime × check table (Markdown; --table writes it to FILE too).
// Exit 1 when any check failed on any runtime.
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { RUNTIMES, runtimeCommand } from './runtimes.mjs';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const { values } = parseArgs({
  options: {
    runtimes: { type: 'string', default: Object.keys(RUNTIMES).join(',') },
    vendor: { type: 'string', default: join(root, 'vendor') },
    table: { type: 'string' },
  },
});
const CHECKS = ['server', 'async', 'sync', 'sync-worker', 'tls', 'cjs', 'cli', 'fuzz'];
const RUN_LIMIT_MS = 300_000;

const certs = mkdtempSync(join(tmpdir(), 'sws-smoke-cert-'));
execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost',
  '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', join(certs, 'key.pem'), '-out', join(certs, 'cert.pem')], { stdio: 'ignore' });

async function smoke(name) {
  const command = runtimeCommand(name);
  const folder = mkdtempSync(join(tmpdir(), `sws-smoke-${name}-`));
  for (const file of ['scriptling-websocket.mjs', 'scriptling-websocket.cjs']) copyFileSync(join(values.vendor, file), join(folder, file));
  for (const file of ['smoke.mjs', 'smoke.cjs']) copyFileSync(join(root, 'test', 'smoke', file), join(folder, file));
  const env = { ...process.env, SMOKE_RUNTIME: JSON.stringify(command), SMOKE_CERT: join(certs, 'cert.pem'), SMOKE_KEY: join(certs, 'key.pem') };
  // The temp folder is not below this checkout, so no package.json or node_modules of ours is found from it.
  const child = spawn(command[0], [...command.slice(1), 'smoke.mjs'], { cwd: folder, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
    process.stdout.write(String(chunk).replace(/^(?=.)/gm, `${name}: `));
  });
  child.stderr.on('data', (chunk) => (output += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_LIMIT_MS);
  const code = await new Promise((resolve) => child.on('close', (status) => resolve(status)));
  clearTimeout(timer);
  const cells = Object.fromEntries(CHECKS.map((check) => {
    const line = output.split('\n').find((l) => l === `ok ${check}` || l.startsWith(`FAIL ${check}:`));
    return [check, line === undefined ? 'not run' : line.startsWith('ok') ? 'yes' : 'FAILED'];
  }));
  const passed = code === 0 && Object.values(cells).every((cell) => cell === 'yes');
  if (!passed) console.log(`${name}: exit ${code}\n${output.slice(-3000)}`);
  else rmSync(folder, { recursive: true, force: true });
  return { name, version: versionOf(command), cells, passed };
}

function versionOf(command) {
  try {
    return execFileSync(command[0], ['--version'], { encoding: 'utf8' }).split('\n')[0].trim();
  } catch {
    return '?';
  }
}

const results = [];
for (const name of values.runtimes.split(',')) results.push(await smoke(name));
rmSync(certs, { recursive: true, force: true });

const table = [
  `| runtime | ${CHECKS.join(' | ')} |`,
  `|---|${CHECKS.map(() => '---').join('|')}|`,
  ...results.map(({ version, cells }) => `| ${version} | ${CHECKS.map((c) => cells[c]).join(' | ')} |`),
].join('\n');
console.log(`\n${table}`);
if (values.table) writeFileSync(values.table, `${table}\n`);
const failed = results.filter((r) => !r.passed).map((r) => r.name);
if (failed.length > 0) console.log(`smoke failed on ${failed.join(', ')}`);
// One check a cell, closing with the plain count CI reads.
const cells = results.flatMap((r) => Object.values(r.cells));
console.log(`smoke: ${cells.filter((cell) => cell === 'yes').length} passed, ${cells.filter((cell) => cell !== 'yes').length} failed`);
process.exit(failed.length === 0 ? 0 : 1);
