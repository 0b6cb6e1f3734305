import { parseArgs } from 'node:util';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { CaseDefinition, CaseRun } from './case.js';
import { casesFor, splitList } from './select.js';
import { playAgainstServer, serverTarget } from './against-server.js';
import { createFuzzingServer } from './against-client.js';
import { createHttp2FuzzingServer } from './over-http2.js';
import { rfc8441Summary, runRfc8441, selectRfc8441 } from './rfc8441.js';
import { caseRecord, writeReports } from './report.js';
import { addResult, type Results } from './case-record.js';
import { summaryText, type PassRules } from './summary.js';
import { junitXml } from './junit.js';
import { Progress, runAll } from './runner.js';
import type { PeerOptions } from './peer.js';
import { parseByteSize } from '../protocol/limits.js';

const USAGE = `usage:
  scriptling-ws fuzz server ws://host:port/path [options]   test a server (we connect once per case)
  scriptling-ws fuzz client [--port 9001] [--host 127.0.0.1] [options]
                                                          test a client (it drives us as it drives
                                                          Autobahn's fuzzingserver)
options:
  --cases LIST            case ids or patterns, e.g. "1.*,6.4.*,14.*" (default: Autobahn's 517 cases)
  --all                   every case: Autobahn's and ours (14.* opening handshake, 15.* permessage-deflate negotiation)
  --exclude LIST          cases to leave out, same syntax
  --agent NAME            the agent name in reports (server role; default: the Server header)
  --outdir DIR            where reports go (default reports/servers or reports/clients)
  --parallel N            server role: play N cases at once (default 1)
  --strict                NON-STRICT verdicts fail the run (exit code and JUnit), as h2spec's --strict
  --allow-non-strict      NON-STRICT verdicts do not fail the run (the default, as in Autobahn's reports)
  --allow-unimplemented   UNIMPLEMENTED verdicts do not fail the run
  --junit FILE            also write JUnit XML: one testsuite per category, one testcase per case
  --keep-running          client role: keep serving after /updateReports
  --max-message-size SIZE largest message taken from the peer, in bytes (64k, 16m…; default 64m; past it: 1009)
  --http2                 play each case on an HTTP/2 stream (RFC 8441 extended CONNECT); the client
                          role then serves cleartext HTTP/2 (prior knowledge, as for ws:// URLs);
                          the server role adds category 16, RFC 8441's own cases (16.1-16.8);
                          14.x and 15.x probe the HTTP/1.1 handshake and still run over HTTP/1.1
exit code: 0 when every case is OK, NON-STRICT or INFORMATIONAL (UNIMPLEMENTED and, with --strict,
NON-STRICT fail), 1 otherwise, 2 on bad usage.`;

class UsageError extends Error {}

/** `scriptling-ws fuzz …`: argv is what follows "fuzz"; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    return await run(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`scriptling-ws fuzz: ${error.message}\n${USAGE}`);
      return 2;
    }
    // Not the user's mistake: a failed run (exit 1), never a usage error, never a stack trace for them to read.
    console.error(`scriptling-ws fuzz: the run failed: ${(error as Error)?.message ?? String(error)}`);
    return 1;
  }
}

async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        cases: { type: 'string' },
        all: { type: 'boolean' },
        exclude: { type: 'string' },
        agent: { type: 'string' },
        outdir: { type: 'string' },
        parallel: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        'allow-non-strict': { type: 'boolean' },
        strict: { type: 'boolean' },
        junit: { type: 'string' },
        'allow-unimplemented': { type: 'boolean' },
        'keep-running': { type: 'boolean' },
        'max-message-size': { type: 'string' },
        http2: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const [role, url, ...extra] = positionals;
  // Category 16 (RFC 8441) is HTTP/2's own and runs beside the Autobahn cases, in the server role with --http2.
  const patterns = splitList(values.cases ?? '*');
  const rfc8441 = values.http2 && role === 'server' ? selectRfc8441(patterns, splitList(values.exclude)) : [];
  const autobahnPatterns = values.cases === undefined ? undefined : patterns.filter((p) => !p.startsWith('16.') && p !== '16').join(',');
  let cases: CaseDefinition[] = [];
  try {
    if ((role === 'server' || role === 'client') && autobahnPatterns !== '') cases = casesFor(role, { cases: autobahnPatterns, exclude: values.exclude, all: values.all });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (cases.length === 0 && rfc8441.length === 0 && (role === 'server' || role === 'client')) throw new UsageError('no cases selected');
  const peer = { maxMessageSize: byteSize(values['max-message-size'] ?? '64m', 'max-message-size') };
  if (values.strict && values['allow-non-strict']) throw new UsageError('--strict and --allow-non-strict contradict each other');
  const rules: PassRules = { allowNonStrict: !values.strict, allowUnimplemented: values['allow-unimplemented'] ?? false };
  if (values.junit === '') throw new UsageError('--junit needs a file name');
  const junit = values.junit;
  if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
  if (role === 'server') {
    if (url === undefined) throw new UsageError('fuzz server needs the URL of the server to test');
    return fuzzServer(url, cases, { agent: values.agent, outdir: values.outdir ?? 'reports/servers', parallel: count(values.parallel ?? '1', 'parallel', 1), rules, peer, junit, http2: values.http2 ?? false, rfc8441 });
  }
  if (role === 'client') {
    if (cases.length === 0) throw new UsageError('no Autobahn cases selected (category 16 runs in the server role)');
    if (url !== undefined) throw new UsageError('fuzz client takes no URL: it listens (--host, --port)');
    return fuzzClient(cases, {
      host: values.host ?? '127.0.0.1',
      port: count(values.port ?? '9001', 'port', 0, 65535),
      outdir: values.outdir ?? 'reports/clients',
      keepRunning: values['keep-running'] ?? false,
      http2: values.http2 ?? false,
      rules,
      peer,
      junit,
    });
  }
  throw new UsageError(role === undefined ? 'say which role: fuzz server URL, or fuzz client' : `unknown role ${JSON.stringify(role)}: use server or client`);
}

/** Bytes with an optional unit, as connect and listen take --max-message-size. */
function byteSize(raw: string, name: string): number {
  const bytes = parseByteSize(raw);
  if (bytes === null) throw new UsageError(`--${name} must be a size in bytes (e.g. 65536, 64k, 16m), not ${JSON.stringify(raw)}`);
  return bytes;
}

function count(raw: string, name: string, min: number, max = 1024): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}`);
  return n;
}

function report(outdir: string, results: Results, agent: string, expected: CaseDefinition[], rules: PassRules, junit: string | undefined): number {
  writeReports(outdir, results);
  const records = [...(results.get(agent)?.values() ?? [])];
  if (junit !== undefined) {
    mkdirSync(dirname(resolve(junit)), { recursive: true });
    writeFileSync(junit, junitXml(agent, records, rules));
  }
  const { text, failed } = summaryText(agent, records, rules);
  const missing = expected.filter((c) => !results.get(agent)?.has(c.id));
  console.log(text);
  if (missing.length > 0) console.log(`${missing.length} case(s) were not run: ${missing.map((c) => c.id).join(', ')}`);
  console.log(`reports: ${outdir}/index.html, ${outdir}/index.json${junit === undefined ? '' : `, ${junit}`}`);
  return failed === 0 && missing.length === 0 ? 0 : 1;
}

interface ServerRoleOptions {
  peer: PeerOptions;
  agent: string | undefined;
  outdir: string;
  parallel: number;
  rules: PassRules;
  junit: string | undefined;
  http2: boolean;
  rfc8441: ReturnType<typeof selectRfc8441>;
}

async function fuzzServer(url: string, cases: CaseDefinition[], options: ServerRoleOptions): Promise<number> {
  let target;
  try {
    target = serverTarget(url, { agent: options.agent, peer: options.peer, http2: options.http2 });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  let code = 0;
  if (cases.length > 0) {
    console.log(`fuzzing ${url}: ${cases.length} cases, ${options.parallel} at a time${options.http2 ? ', each on an HTTP/2 stream' : ''}`);
    const started = performance.now();
    const progress = new Progress(cases.length);
    const runs = await runAll(cases, options.parallel, (definition, index) => playAgainstServer(target, definition, index), (r) => progress.step(r));
    console.log(`finished in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const results: Results = new Map();
    for (const r of runs) addResult(results, caseRecord(r));
    code = report(options.outdir, results, runs[0].agent, cases, options.rules, options.junit);
  }
  if (options.rfc8441.length > 0) {
    const results = await runRfc8441(target, options.rfc8441);
    const { text, failed } = rfc8441Summary(results);
    console.log(`\n${text}`);
    mkdirSync(options.outdir, { recursive: true });
    writeFileSync(join(options.outdir, 'rfc8441.json'), `${JSON.stringify(results, null, 2)}\n`);
    if (failed > 0) code = 1;
  }
  return code;
}

interface ClientRoleOptions {
  peer: PeerOptions;
  host: string;
  port: number;
  outdir: string;
  keepRunning: boolean;
  http2: boolean;
  rules: PassRules;
  junit: string | undefined;
}

function fuzzClient(cases: CaseDefinition[], options: ClientRoleOptions): Promise<number> {
  const results: Results = new Map();
  const progress = new Progress(cases.length);
  return new Promise((resolve, reject) => {
    const create = options.http2 ? createHttp2FuzzingServer : createFuzzingServer;
    const server = create({
      cases,
      peer: options.peer,
      onCase(r: CaseRun) {
        progress.step(r);
        addResult(results, caseRecord(r));
      },
      onUpdateReports(agent) {
        const code = report(options.outdir, results, agent, cases, options.rules, options.junit);
        if (!options.keepRunning) server.close(() => resolve(code));
      },
    });
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      const { port } = server.address() as AddressInfo;
      const host = options.host.includes(':') ? `[${options.host}]` : options.host;
      const how = options.http2 ? ' over HTTP/2 (h2c)' : '';
      console.log(`fuzzing server on ws://${host}:${port}${how}: ${cases.length} cases; drive it with e.g. scriptling-ws autobahn --url ws://${host}:${port}${options.http2 ? ' --http2' : ''}`);
    });
  });
}
