// The client-role harness the fuzz tests share: the fuzzing server that runs
// client cases, and a raw client skeleton for deliberately broken clients.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { createFuzzingServer } from '../../src/fuzz/against-client.js';
import type { CaseDefinition } from '../../src/fuzz/cases/common.js';
import type { CaseRun } from '../../src/fuzz/case.js';
import { connect } from '../../src/transport/client.js';
import { clientFrame, echo, parseFrames, waitFor, type Frame } from '../helpers.js';

/** Runs the client `cases` in order, each driven by `drive(url)`, which resolves when its connection is over. */
export async function clientRuns(cases: CaseDefinition[], drive: (url: string) => Promise<void>): Promise<CaseRun[]> {
  const runs: CaseRun[] = [];
  const server = createFuzzingServer({ cases, onCase: (run) => runs.push(run), onUpdateReports() {} });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    for (let i = 1; i <= cases.length; i++) await drive(`${base}/runCase?case=${i}&agent=test`);
    await waitFor(() => runs.length === cases.length, { timeoutMs: 10_000, what: `the reports of ${cases.length} cases` });
    return runs.sort((a, b) => a.index - b.index);
  } finally {
    server.close();
  }
}

/** Each case's verdict (its behavior), by case id. */
export const verdicts = (runs: CaseRun[]): Record<string, string> => Object.fromEntries(runs.map((r) => [r.definition.id, r.behavior]));

/** Our own client (engine `connect`, echoing what it gets) against the client `cases`: the cases it did not pass, with their verdicts. */
export async function ourClientFailures(cases: CaseDefinition[]): Promise<string[]> {
  const runs = await clientRuns(cases, async (url) => {
    const ws = await connect(url, { timeout: 3000 }).catch(() => null);
    if (ws !== null) await echo(ws);
  });
  return runs.filter((r) => r.behavior !== 'OK' || r.behaviorClose !== 'OK').map((r) => `${r.definition.id}: ${r.behavior} ${r.result}`);
}

/** The client `cases` against one broken client per mode: each mode's verdicts, and the cases no mode got caught by. */
export async function againstBrokenClients<M extends string>(cases: CaseDefinition[], modes: readonly M[], client: (mode: M) => (url: string) => Promise<void>): Promise<{ byMode: Record<M, Record<string, string>>; uncaught: string[] }> {
  const caught = new Set<string>();
  const byMode = {} as Record<M, Record<string, string>>;
  for (const mode of modes) {
    const runs = await clientRuns(cases, client(mode));
    byMode[mode] = verdicts(runs);
    for (const r of runs) if (r.behavior !== 'OK') caught.add(r.definition.id);
  }
  return { byMode, uncaught: cases.filter((c) => !caught.has(c.id)).map((c) => c.id) };
}

/** What a raw client does with the answer's head so far: wait for more, open (keeping `rest`, the bytes after it), end with `frame`, or drop. */
export type HeadDecision = 'wait' | 'destroy' | { open: Buffer } | { end: Buffer };

export interface RawClientPlan {
  /** Extra request header lines, each ending in CRLF. */
  extraHeaders?: string;
  /** Called on each segment until the connection opens, with the head so far and the key sent. */
  onHead(head: string, key: string): HeadDecision;
  /** The frame sent back for each data or control frame but Close (a Close is answered with 1000 and the end). */
  echo(frame: Frame): Buffer;
}

/** The bytes after the head's blank line, or null while the head is incomplete. */
export const afterHead = (head: string): Buffer | null => {
  const end = head.indexOf('\r\n\r\n');
  return end === -1 ? null : Buffer.from(head.slice(end + 4), 'latin1');
};

/** A client over a raw socket, as broken as `plan` makes it: `drive` for clientRuns. */
export function rawClient(plan: RawClientPlan): (url: string) => Promise<void> {
  return (url) =>
    new Promise((resolve) => {
      const { port, pathname, search } = new URL(url);
      const socket = net.connect(Number(port), '127.0.0.1');
      const key = 'dGhlIHNhbXBsZSBub25jZQ==';
      socket.on('error', () => {});
      socket.on('close', () => resolve());
      socket.write(`GET ${pathname}${search} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${plan.extraHeaders ?? ''}\r\n`);
      let head = '';
      let open = false;
      let pending: Buffer = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        if (!open) {
          head += chunk.toString('latin1');
          const decision = plan.onHead(head, key);
          if (decision === 'wait') return;
          if (decision === 'destroy') return void socket.destroy();
          if ('end' in decision) return void socket.end(decision.end);
          open = true;
          chunk = decision.open;
        }
        const { frames, rest } = parseFrames(Buffer.concat([pending, chunk]));
        pending = rest;
        for (const f of frames) {
          if (f.opcode === 8) return void socket.end(clientFrame(0x88, Buffer.from([0x03, 0xe8])));
          socket.write(plan.echo(f));
        }
      });
    });
}
