// The servers the synchronous client tests talk to. A sync call blocks the
// test's thread, so every server runs in a child process of its own.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, testCertificate } from '../helpers.js';

export const HERE = join(ROOT, 'test', 'sync');
export const PYTHON = '/usr/bin/python3';
const hasPythonWebsockets = spawnSync(PYTHON, ['-c', 'import websockets'], { stdio: 'ignore' }).status === 0;
/** A skip reason without python3-websockets, except in CI, where it is required. */
export const requirePython = process.env.CI ? false : !hasPythonWebsockets && 'python3-websockets is not installed (.ci/run installs it)';

export type PeerKind = 'ours' | 'ours over TLS' | 'python websockets';

export interface SeedPeer {
  /** "ws://127.0.0.1:port/path" (or wss://): /headers is served on a port of its own by ours. */
  url(path: string): string;
  /** A TCP port that accepts and never answers (ours only). */
  blackhole: number | undefined;
  /** What connect() needs besides the URL (the test CA for wss://). */
  tls: { ca?: Buffer };
  stop(): void;
}

/** Starts one of the seed servers (test/sync/seed-server.mjs, test/sync/seed_peer.py) and waits for its port. */
export async function startSeedPeer(kind: PeerKind): Promise<SeedPeer> {
  let child: ChildProcess;
  let tls: { ca?: Buffer } = {};
  if (kind === 'python websockets') {
    child = spawn(PYTHON, [join(HERE, 'seed_peer.py')], { stdio: ['pipe', 'pipe', 'inherit'] });
  } else {
    const args = [join(HERE, 'seed-server.mjs')];
    if (kind === 'ours over TLS') {
      const { key, cert } = testCertificate();
      const dir = mkdtempSync(join(tmpdir(), 'sws-sync-'));
      writeFileSync(join(dir, 'key.pem'), key);
      writeFileSync(join(dir, 'cert.pem'), cert);
      args.push(join(dir, 'key.pem'), join(dir, 'cert.pem'));
      tls = { ca: cert };
    }
    child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  }
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
  const { port, headerPort, slowPort, mutePort, blackhole } = JSON.parse(line) as { port: number; headerPort?: number; slowPort?: number; mutePort?: number; blackhole?: number };
  const ports: Record<string, number | undefined> = { '/headers': headerPort, '/slow-reader': slowPort, '/mute': mutePort, '/close-soon': mutePort, '/ping-flood': mutePort, '/slow-close': mutePort };
  for (const path of ['/ping-at-once', '/two-empty', '/reset-soon', '/stall-reset', '/away-ticks', '/away-large', '/away-empty', '/away-pings']) ports[path] = mutePort;
  const portFor = (path: string) => ports[path] ?? port;
  const scheme = kind === 'ours over TLS' ? 'wss' : 'ws';
  return {
    url: (path) => `${scheme}://127.0.0.1:${portFor(path)}${path}`,
    blackhole,
    tls,
    stop: () => {
      child.stdin!.end();
      child.kill();
    },
  };
}

/** Seconds since `start` (a performance.now() time). */
export const secondsSince = (start: number): number => (performance.now() - start) / 1000;
