import http2 from 'node:http2';
import { randomBytes } from 'node:crypto';
import { encodeRawFrame } from './raw-frame.js';
import { parseFrames } from './rfc8441-frames.js';

/**
 * Category 16: RFC 8441 itself, which no conformance suite covers. Each
 * case drives a server over HTTP/2 with node:http2 and judges what the
 * server does with the extended CONNECT and the streams it opens. The
 * server under test is an echo server, as for the Autobahn cases.
 */

export interface Rfc8441Target {
  secure: boolean;
  host: string;
  port: number;
  hostHeader: string;
  resource: string;
}

export type Rfc8441Verdict = 'OK' | 'INFORMATIONAL' | 'FAILED';

export interface Rfc8441Result {
  id: string;
  description: string;
  verdict: Rfc8441Verdict;
  /** What was seen, in a sentence. */
  detail: string;
  duration: number;
}

interface Rfc8441Case {
  id: string;
  description: string;
  run(target: Rfc8441Target): Promise<{ verdict: Rfc8441Verdict; detail: string }>;
}

/** Seconds any one step may take before the case fails. */
const STEP_TIMEOUT = 5;

const ok = (detail: string) => ({ verdict: 'OK' as const, detail });
const failed = (detail: string) => ({ verdict: 'FAILED' as const, detail });
const informational = (detail: string) => ({ verdict: 'INFORMATIONAL' as const, detail });

export const RFC8441_CASES: Rfc8441Case[] = [
  {
    id: '16.1',
    description: 'The server advertises SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 (RFC 8441 §3)',
    run: (target) => withSession(target, async (session) => (session.remoteSettings.enableConnectProtocol === true
      ? ok('SETTINGS_ENABLE_CONNECT_PROTOCOL = 1')
      : failed('the server did not advertise SETTINGS_ENABLE_CONNECT_PROTOCOL: clients will not send extended CONNECT'))),
  },
  {
    id: '16.2',
    description: 'An extended CONNECT (:protocol websocket, version 13) is answered 2xx; no Sec-WebSocket-Accept is needed (§4, §5)',
    run: (target) => withSession(target, async (session) => {
      const answer = await request(session, connectHeaders(target));
      if (answer.status === undefined) return failed(`the server reset the stream (code ${answer.rstCode})`);
      if (answer.status < 200 || answer.status > 299) return failed(`answered ${answer.status}`);
      return answer.headers['sec-websocket-accept'] === undefined ? ok(`answered ${answer.status}`) : informational(`answered ${answer.status} with a Sec-WebSocket-Accept, which HTTP/2 does not use`);
    }),
  },
  {
    id: '16.3',
    description: 'A CONNECT without :protocol is not taken for a WebSocket (§4: it is a plain CONNECT)',
    run: (target) => withSession(target, async (session) => {
      const answer = await request(session, { ':method': 'CONNECT', ':authority': target.hostHeader });
      if (answer.status === undefined) return ok(`refused with a stream reset (code ${answer.rstCode})`);
      if (answer.status >= 200 && answer.status <= 299) return informational(`answered ${answer.status}: the server tunnels plain CONNECT (is it a proxy?)`);
      return ok(`refused with ${answer.status}`);
    }),
  },
  {
    id: '16.4',
    description: 'An extended CONNECT for an unknown :protocol is refused',
    run: (target) => withSession(target, async (session) => {
      const answer = await request(session, { ...connectHeaders(target), ':protocol': 'not-websocket' });
      if (answer.status === undefined) return ok(`refused with a stream reset (code ${answer.rstCode})`);
      return answer.status >= 200 && answer.status <= 299 ? failed(`accepted :protocol not-websocket with ${answer.status}`) : ok(`refused with ${answer.status}`);
    }),
  },
  {
    id: '16.5',
    description: 'Sec-WebSocket-Version other than 13 is refused (RFC 6455 §4.4 over RFC 8441 §5)',
    run: (target) => withSession(target, async (session) => {
      const answer = await request(session, { ...connectHeaders(target), 'sec-websocket-version': '8' });
      if (answer.status === undefined) return ok(`refused with a stream reset (code ${answer.rstCode})`);
      if (answer.status >= 200 && answer.status <= 299) return failed(`accepted version 8 with ${answer.status}`);
      return answer.headers['sec-websocket-version'] === '13' ? ok(`refused with ${answer.status}, naming version 13`) : informational(`refused with ${answer.status}, without naming version 13`);
    }),
  },
  {
    id: '16.6',
    description: 'A stream reset in the middle of a message fails that WebSocket only: another on the session still echoes (§5)',
    run: (target) => withSession(target, async (session) => {
      const first = await openWebSocket(session, target);
      const second = await openWebSocket(session, target);
      first.stream.write(maskedFrame(0x1, 'the first half of a message', false));
      first.stream.close(http2.constants.NGHTTP2_CANCEL);
      second.stream.write(maskedFrame(0x1, 'still here', true));
      const echoed = await readMessage(second);
      if (session.destroyed || session.closed) return failed('the session ended after one stream was reset');
      return echoed === 'still here' ? ok('the other WebSocket echoed after the reset') : failed(`the other WebSocket answered ${JSON.stringify(echoed)}`);
    }),
  },
  {
    id: '16.7',
    description: 'Several WebSockets and plain requests interleaved on one session each get their own answers',
    run: (target) => withSession(target, async (session) => {
      const sockets = await Promise.all([1, 2, 3].map(() => openWebSocket(session, target)));
      const page = request(session, { ':method': 'GET', ':path': '/', ':scheme': target.secure ? 'https' : 'http', ':authority': target.hostHeader }, { endStream: true });
      sockets.forEach((ws, i) => ws.stream.write(maskedFrame(0x1, `message ${i}`, true)));
      const echoes = await Promise.all(sockets.map(readMessage));
      const answer = await page;
      const wrong = echoes.map((m, i) => (m === `message ${i}` ? null : `${i}: ${JSON.stringify(m)}`)).filter((m) => m !== null);
      if (wrong.length > 0) return failed(`echoes crossed or went missing: ${wrong.join(', ')}`);
      if (answer.status === undefined) return failed(`the plain GET was reset (code ${answer.rstCode})`);
      return ok(`3 echoes on their own streams, and the GET answered ${answer.status}`);
    }),
  },
  {
    id: '16.8',
    description: 'A closing handshake ends the stream in order: Close answered, then END_STREAM, not RST_STREAM (§5)',
    run: (target) => withSession(target, async (session) => {
      const ws = await openWebSocket(session, target);
      const closeBody = Buffer.from([0x03, 0xe8]);
      ws.stream.write(encodeRawFrame({ opcode: 0x8, payload: closeBody, mask: randomBytes(4) }).bytes);
      const frame = await readFrame(ws);
      if (frame.opcode !== 0x8) return failed(`answered opcode ${frame.opcode} to a Close`);
      const ended = await within(new Promise<boolean>((resolve) => {
        ws.stream.once('end', () => resolve(true));
        ws.stream.once('close', () => resolve(false));
      }), 'the server to end the stream');
      ws.stream.end();
      if (!ended) return failed(`the stream was reset (code ${ws.stream.rstCode}) instead of ended`);
      return ok('Close answered, then END_STREAM');
    }),
  },
];

/** The cases matching `patterns` ("16.*", "16.3"…); patterns for other categories select nothing here. */
export function selectRfc8441(patterns: string[], excludes: string[] = []): Rfc8441Case[] {
  const matches = (id: string, list: string[]) => list.some((p) => new RegExp(`^${p.replace(/\./g, '\\.').replace(/\*/g, '.*')}$`).test(id));
  return RFC8441_CASES.filter((c) => matches(c.id, patterns) && !matches(c.id, excludes));
}

export async function runRfc8441(target: Rfc8441Target, cases: Rfc8441Case[]): Promise<Rfc8441Result[]> {
  const results: Rfc8441Result[] = [];
  for (const c of cases) {
    const started = performance.now();
    let outcome: { verdict: Rfc8441Verdict; detail: string };
    try {
      outcome = await c.run(target);
    } catch (error) {
      outcome = failed((error as Error).message);
    }
    results.push({ id: c.id, description: c.description, ...outcome, duration: Math.round(performance.now() - started) });
  }
  return results;
}

export function rfc8441Summary(results: Rfc8441Result[]): { text: string; failed: number } {
  const lines = ['16 RFC 8441 (WebSockets over HTTP/2)'];
  for (const r of results) lines.push(`  ${r.id.padEnd(5)} ${r.verdict.padEnd(13)} ${r.description}\n        ${r.detail}`);
  const bad = results.filter((r) => r.verdict === 'FAILED').length;
  lines.push(bad === 0 ? `all ${results.length} RFC 8441 cases pass` : `${bad} RFC 8441 case(s) failed`);
  return { text: lines.join('\n'), failed: bad };
}

// ---- helpers

async function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${STEP_TIMEOUT} s waiting for ${what}`)), STEP_TIMEOUT * 1000);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

async function withSession<T>(target: Rfc8441Target, use: (session: http2.ClientHttp2Session) => Promise<T>): Promise<T> {
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  const session = http2.connect(`${target.secure ? 'https' : 'http'}://${host}:${target.port}`, { rejectUnauthorized: false, settings: { enablePush: false } });
  session.on('error', () => {});
  try {
    await within(new Promise<void>((resolve, reject) => {
      session.once('remoteSettings', () => resolve());
      session.once('close', () => reject(new Error('the server closed the session before its SETTINGS')));
    }), 'the server\'s SETTINGS');
    return await use(session);
  } finally {
    session.destroy();
  }
}

const connectHeaders = (target: Rfc8441Target): http2.OutgoingHttpHeaders => ({
  ':method': 'CONNECT', ':protocol': 'websocket', ':scheme': target.secure ? 'https' : 'http', ':path': target.resource,
  ':authority': target.hostHeader, 'sec-websocket-version': '13',
});

interface Answer {
  status?: number;
  headers: http2.IncomingHttpHeaders;
  rstCode?: number;
  stream: http2.ClientHttp2Stream;
}

function request(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, options: { endStream?: boolean } = {}): Promise<Answer> {
  const stream = session.request(headers, { endStream: options.endStream ?? false });
  stream.on('error', () => {});
  return within(new Promise<Answer>((resolve) => {
    stream.once('response', (answer) => resolve({ status: Number(answer[':status']), headers: answer, stream }));
    stream.once('close', () => resolve({ headers: {}, rstCode: stream.rstCode, stream }));
  }), 'an answer to the request');
}

interface OpenWebSocket {
  stream: http2.ClientHttp2Stream;
  buffer: Buffer;
}

async function openWebSocket(session: http2.ClientHttp2Session, target: Rfc8441Target): Promise<OpenWebSocket> {
  const answer = await request(session, connectHeaders(target));
  if (answer.status === undefined || answer.status < 200 || answer.status > 299) {
    throw new Error(`the WebSocket did not open: ${answer.status === undefined ? `stream reset (code ${answer.rstCode})` : `status ${answer.status}`}`);
  }
  const ws = { stream: answer.stream, buffer: Buffer.alloc(0) };
  return ws;
}

function maskedFrame(opcode: number, text: string, fin: boolean): Buffer {
  return encodeRawFrame({ opcode, fin, payload: Buffer.from(text), mask: randomBytes(4) }).bytes;
}

/** The next whole frame from the server. */
function readFrame(ws: OpenWebSocket): Promise<{ opcode: number; payload: Buffer }> {
  return within(new Promise((resolve, reject) => {
    const check = (): boolean => {
      const { frames } = parseFrames(ws.buffer);
      if (frames.length === 0) return false;
      ws.buffer = ws.buffer.subarray(frames[0].end);
      stop();
      resolve(frames[0]);
      return true;
    };
    const onData = (chunk: Buffer): void => {
      ws.buffer = Buffer.concat([ws.buffer, chunk]);
      check();
    };
    const onClose = (): void => {
      stop();
      reject(new Error(`the stream closed (code ${ws.stream.rstCode}) before a frame came`));
    };
    const stop = (): void => {
      ws.stream.off('data', onData);
      ws.stream.off('close', onClose);
    };
    if (check()) return;
    ws.stream.on('data', onData);
    ws.stream.once('close', onClose);
  }), 'a frame from the server');
}

async function readMessage(ws: OpenWebSocket): Promise<string> {
  const frame = await readFrame(ws);
  return frame.opcode === 0x1 ? frame.payload.toString() : `<opcode ${frame.opcode}>`;
}
