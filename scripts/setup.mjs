#!/usr/bin/env node
// Makes `npm start` and `npm test` work on a fresh clone: installs the dev
// dependencies (typescript, c8, @types/node) when they are missing, then builds.
import { existsSync, rmSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd) => execSync(cmd, { cwd: root, stdio: 'inherit' });

if (!existsSync(join(root, 'node_modules', 'typescript')) || !existsSync(join(root, 'node_modules', 'c8'))) {
  run(existsSync(join(root, 'package-lock.json')) ? 'npm ci --no-audit --no-fund' : 'npm install --no-audit --no-fund');
}
// tsc leaves the output of deleted sources behind; npm test runs every file in dist/test, so build from clean.
rmSync(join(root, 'dist'), { recursive: true, force: true });
run('npx tsc -p .');
