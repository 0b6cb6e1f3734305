#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) with node's test runner, one file at a time.
// The files are named one by one: Node 22 and later load a folder given to --test as a module, not as a folder of tests.
// Each test file (and each test in it) has a time limit, so that a hang fails with its name instead of eating
// CI's time; the slowest file (the package test: a fresh clone built twice) takes about 3 minutes on a busy machine.
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const TEST_TIMEOUT_MS = Number(process.env.TEST_TIMEOUT_MS ?? 600_000);

const files = readdirSync(join(root, 'dist', 'test'), { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.test.js'))
  .map((file) => relative(root, join(root, 'dist', 'test', file)))
  .sort();
// Arguments after `--`, e.g. `npm test -- --test-name-pattern=sync`, go to node's test runner.
const extra = process.argv.slice(2);
// TEST_FAILURES_FILE: also write the failing tests, one short entry each, to that file (scripts/failure-digest.mjs).
const digest = process.env.TEST_FAILURES_FILE;
const reporters = digest
  ? ['--test-reporter=spec', '--test-reporter-destination=stdout', `--test-reporter=${join(root, 'scripts', 'failure-digest.mjs')}`, `--test-reporter-destination=${digest}`]
  : [];
const run = spawnSync(process.execPath, ['--test', '--test-concurrency=1', `--test-timeout=${TEST_TIMEOUT_MS}`, ...reporters, ...extra, ...files], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(run.status ?? 1);
