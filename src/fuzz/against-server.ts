import net from 'node:net';
import tls from 'node:tls';
import { parseWebSocketUrl } from '../protocol/url.js';
import { HeadReader, acceptKey, buildClientRequest, checkServerResponse, generateKey, hasToken, parseResponseHead } from '../protocol/handshake.js';
import { randomMaskKey } from '../protocol/mask.js';
import { CaseRun, Verdict, type CaseDefinition } from './case.js';
import { accepted, type HandshakeAnswer, type RequestProbe } from './handshake-probe.js';
import { encodeRawFrame } from './raw-frame.js';
import { FuzzPeer, type PeerOptions } from './peer.js';
import { offerText, readResponse } from './deflate.js';
import { offersFor, openCaseStream } from './over-http2.js';
import type { PerMessageDeflate } from '../protocol/deflate.js';

/** Seconds the server gets to complete the opening handshake (the suite's `openHandshakeTimeout`). */
const OPEN_HANDSHAKE_TIMEOUT = 5;

export type ServerTarget = ReturnType<typeof parseWebSocketUrl> & {
  /** The agent name for reports; when absent, the server's `Server` header names it. */
  agent?: string;
  /** Seconds the server gets to answer the opening handshake. Default 5, as the suite. */
  openHandshakeTimeout?: number;
  peer?: PeerOptions;
  /** Play each case on an HTTP/2 stream (RFC 8441) instead of a TCP connection. */
  http2?: boolean;
};

export const serverTarget = (url: string, options: { agent?: string; openHandshakeTimeout?: number; peer?: PeerOptions; http2?: boolean } = {}): ServerTarget => ({
  ...parseWebSocketUrl(url),
  ...options,
});

/**
 * Plays one case against a server (the suite's fuzzingclient): one TCP
 * connection, a plain opening handshake with no extension offered, then the
 * case. Resolves with the judged run; never rejects.
 */
export async function playAgainstServer(target: ServerTarget, definition: CaseDefinition, index: number): Promise<CaseRun> {
  if (definition.request !== undefined) return playProbe(target, definition, definition.request, index);
  const run = new CaseRun(definition, index, target.agent ?? 'UnknownServer');
  if (target.http2) return playOverHttp2(target, run);
  const socket = connectTo(target);
  const key = generateKey();
  const offers = definition.deflate?.offers.map(offerText).join(', ');
  const request = buildClientRequest({ host: target.hostHeader, resource: target.resource, key, extensions: offers });
  run.httpRequest = request;
  try {
    const { rest, deflate } = await handshake(socket, request, key, run, target);
    run.agent = target.agent ?? run.serverHeader ?? 'UnknownServer';
    const peer = new FuzzPeer(socket, 'client', run, target.peer);
    peer.deflate = deflate;
    const played = run.play(peer);
    peer.start(rest);
    await played;
  } catch (error) {
    socket.destroy();
    run.agent = target.agent ?? run.serverHeader ?? 'UnknownServer';
    run.neverOpened((error as Error).message);
  }
  return run;
}

const connectTo = (target: ServerTarget): net.Socket =>
  target.secure
    ? tls.connect({ host: target.host, port: target.port, servername: net.isIP(target.host) ? undefined : target.host, rejectUnauthorized: false })
    : net.connect({ host: target.host, port: target.port });

/**
 * Plays an opening-handshake case (category 14): sends the probe's request,
 * judges the answer, and when the server opened the connection, checks it
 * works with the case's echo. Resolves with the judged run; never rejects.
 */
async function playProbe(target: ServerTarget, definition: CaseDefinition, probe: RequestProbe, index: number): Promise<CaseRun> {
  const run = new CaseRun(definition, index, target.agent ?? 'UnknownServer');
  const socket = connectTo(target);
  const key = generateKey();
  const head = probe.head({ key, host: target.hostHeader, resource: target.resource });
  run.httpRequest = head.length > 2048 ? `${head.slice(0, 2048)}… (${head.length} octets in all)` : head;
  const mask = Buffer.alloc(4);
  mask.writeUInt32BE(randomMaskKey(), 0);
  const pipelined = probe.pipelined === undefined ? null : encodeRawFrame({ opcode: 1, payload: Buffer.from(probe.pipelined), mask }).bytes;
  const seconds = target.openHandshakeTimeout ?? OPEN_HANDSHAKE_TIMEOUT;
  let answer: HandshakeAnswer & { rest: Buffer };
  try {
    answer = await readAnswer(socket, Buffer.concat([Buffer.from(head, 'latin1'), pipelined ?? Buffer.alloc(0)]), probe, key, seconds, run);
  } catch (error) {
    socket.destroy();
    run.neverOpened((error as Error).message);
    return run;
  }
  run.agent = target.agent ?? run.serverHeader ?? 'UnknownServer';
  const judgement = probe.judge(answer);
  if (!accepted(answer) || judgement.verdict === Verdict.FAILED || judgement.final) {
    socket.destroy();
    run.decidedByHandshake(judgement.verdict, judgement.reason);
    return run;
  }
  run.data.probe = judgement;
  const peer = new FuzzPeer(socket, 'client', run, target.peer);
  peer.deflate = probe.codec?.(answer) ?? null;
  const played = run.play(peer);
  peer.start(answer.rest);
  await played;
  return run;
}

/**
 * Writes a probe request and reads what comes back. Rejects only when no
 * TCP connection was made; a close, a timeout or a malformed head is an
 * answer without a status, for the case to judge.
 */
function readAnswer(socket: net.Socket, request: Buffer, probe: RequestProbe, key: string, seconds: number, run: CaseRun): Promise<HandshakeAnswer & { rest: Buffer }> {
  return new Promise((resolve, reject) => {
    const reader = new HeadReader();
    let connected = false;
    const timer = setTimeout(() => noStatus(`no answer within ${seconds} s`), seconds * 1000);
    const done = () => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
    };
    const noStatus = (problem: string) => {
      done();
      resolve({ status: null, problem, lines: [], switchProblem: null, rest: Buffer.alloc(0) });
    };
    const onData = (chunk: Buffer) => {
      let got;
      try {
        got = reader.push(chunk);
      } catch (error) {
        return noStatus((error as Error).message);
      }
      if (got === null) return;
      run.httpResponse = got.head;
      const lines = got.head.split('\r\n');
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
      if (status === null) return noStatus(`not an HTTP status line: ${JSON.stringify(lines[0].slice(0, 80))}`);
      const headers: Array<[string, string]> = [];
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        if (colon > 0) headers.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
      }
      const value = (name: string) => headers.filter(([n]) => n === name).map(([, v]) => v).join(', ') || undefined;
      run.serverHeader = value('server');
      let switchProblem: string | null = null;
      if (!lines[0].startsWith('HTTP/1.1 ')) switchProblem = 'not an HTTP/1.1 answer';
      else if (!hasToken(value('upgrade'), 'websocket')) switchProblem = 'no "Upgrade: websocket"';
      else if (!hasToken(value('connection'), 'upgrade')) switchProblem = 'no "Connection: Upgrade"';
      else if (value('sec-websocket-accept') !== acceptKey(key)) switchProblem = 'Sec-WebSocket-Accept does not match our key';
      else if (value('sec-websocket-extensions') !== undefined && !probe.acceptsExtensions) switchProblem = `an extension we did not offer: ${value('sec-websocket-extensions')}`;
      done();
      socket.pause();
      resolve({ status: Number(status[1]), problem: null, lines: headers, switchProblem, rest: got.rest });
    };
    const onClose = () => (connected ? noStatus('the server closed the connection without answering') : undefined);
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.on('error', (error) => {
      if (!connected) {
        done();
        reject(error);
      }
    });
    socket.once(socket instanceof tls.TLSSocket ? 'secureConnect' : 'connect', () => {
      connected = true;
      if (!probe.byteByByte) {
        socket.write(request);
        return;
      }
      // One octet per turn of the event loop: each goes out in its own segment (setNoDelay).
      socket.setNoDelay(true);
      let i = 0;
      const next = () => {
        if (socket.destroyed || i >= request.length) return;
        socket.write(request.subarray(i, ++i));
        setImmediate(next);
      };
      next();
    });
  });
}

interface Opened {
  /** The octets that came after the response head. */
  rest: Buffer;
  deflate: PerMessageDeflate | null;
}

/** Sends the request and reads the 101 (RFC 6455 §4.1, RFC 7692 §7.1). */
function handshake(socket: net.Socket, request: string, key: string, run: CaseRun, target: ServerTarget): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const reader = new HeadReader();
    const seconds = target.openHandshakeTimeout ?? OPEN_HANDSHAKE_TIMEOUT;
    const timer = setTimeout(() => finish(new Error(`no opening handshake within ${seconds} s`)), seconds * 1000);
    const finish = (error: Error | null, opened?: Opened) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
      if (error) reject(error);
      else resolve(opened!);
    };
    const onData = (chunk: Buffer) => {
      try {
        const got = reader.push(chunk);
        if (got === null) return;
        run.httpResponse = got.head;
        const response = parseResponseHead(got.head);
        run.serverHeader = response.headers.get('server');
        checkServerResponse(response, key);
        const extensions = response.headers.get('sec-websocket-extensions');
        if (run.definition.deflate === undefined && extensions) throw new Error(`the server accepted extensions we did not offer: ${extensions}`);
        const deflate = readResponse(extensions);
        socket.pause();
        finish(null, { rest: got.rest, deflate });
      } catch (error) {
        finish(error as Error);
      }
    };
    const onError = (error: Error) => finish(error);
    const onClose = () => finish(new Error('the server closed the connection during the opening handshake'));
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
    socket.once(target.secure ? 'secureConnect' : 'connect', () => socket.write(request));
  });
}

async function playOverHttp2(target: ServerTarget, run: CaseRun): Promise<CaseRun> {
  try {
    const { peer } = await openCaseStream(target, run, offersFor(run), target.openHandshakeTimeout ?? OPEN_HANDSHAKE_TIMEOUT);
    run.agent = target.agent ?? run.serverHeader ?? 'UnknownServer';
    const played = run.play(peer);
    peer.start(Buffer.alloc(0));
    await played;
  } catch (error) {
    run.agent = target.agent ?? run.serverHeader ?? 'UnknownServer';
    run.neverOpened((error as Error).message);
  }
  return run;
}
