import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { HandshakeError } from '../protocol/handshake.js';
import { ServerHandshake, encodeRefusal, refusal, switchingProtocolsHead } from '../protocol/server-handshake.js';
import { CaseRun, Verdict, type CaseDefinition } from './case.js';
import { FuzzPeer, type PeerListener, type PeerOptions } from './peer.js';
import { acceptOffer, readOffers } from './deflate.js';
import type { ResponseProbe } from './handshake-probe.js';
import { encodeRawFrame } from './raw-frame.js';
import { PROBE_MESSAGE } from './cases/handshake.js';

/** A connection that plays no case: the driver's count and report requests. */
const IDLE: PeerListener = { onMessage() {}, onPong() {}, onConnectionLost() {} };

export interface FuzzingServerOptions {
  cases: CaseDefinition[];
  /** Called with each judged case. */
  onCase(run: CaseRun): void;
  /** Called on /updateReports?agent=A, before the connection is closed. */
  onUpdateReports(agent: string): void;
  peer?: PeerOptions;
}

/**
 * The suite's fuzzingserver protocol, for testing clients: a driver asks
 * `/getCaseCount` (a text message with the count), plays each case on
 * `/runCase?case=N&agent=A` (N from 1; `casetuple=1.2.3` names it by id),
 * then asks `/updateReports?agent=A`. No extension is accepted, as the
 * suite accepts none outside categories 12 and 13.
 */
export function createFuzzingServer(options: FuzzingServerOptions): http.Server {
  const server = http.createServer((_request, response) => {
    response.writeHead(426, { 'Content-Type': 'text/plain', Upgrade: 'websocket', Connection: 'Upgrade' });
    response.end('this is a WebSocket fuzzing server: use /getCaseCount, /runCase?case=N&agent=A, /updateReports?agent=A\n');
  });
  server.on('upgrade', (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    try {
      accept(request, socket as Socket, head, options);
    } catch (error) {
      const status = error instanceof HandshakeError ? error.status : 400;
      const headers = error instanceof HandshakeError ? error.headers : {};
      socket.end(encodeRefusal(refusal(status, (error as Error).message, Object.entries(headers))));
    }
  });
  return server;
}

function accept(request: http.IncomingMessage, socket: Socket, head: Buffer, options: FuzzingServerOptions): void {
  const handshake = new ServerHandshake({
    method: request.method ?? 'GET', httpVersion: request.httpVersion, url: request.url ?? '/', rawHeaders: request.rawHeaders, remoteAddress: '',
  }, { deflate: null });
  const refused = handshake.check();
  if (refused !== null) throw new HandshakeError(refused.reason, refused.status, Object.fromEntries(refused.headers));
  const key = handshake.request.headers['sec-websocket-key']!;
  const url = new URL(request.url ?? '/', 'ws://fuzzer');
  const agent = url.searchParams.get('agent');
  let offers;
  try {
    offers = readOffers(request.headers['sec-websocket-extensions']);
  } catch (error) {
    throw new HandshakeError((error as Error).message, 400);
  }
  const open = (listener: PeerListener, definition?: CaseDefinition): FuzzPeer => {
    // Outside categories 12 and 13 the suite's server accepts no extension.
    const acceptance = definition?.deflate && offers.length > 0 ? definition.deflate.accept(offers) : null;
    const accepted = acceptance === null ? null : acceptOffer(acceptance);
    const response = `${switchingProtocolsHead(key, accepted ? [['Sec-WebSocket-Extensions', accepted.response]] : [])}\r\n\r\n`;
    socket.write(response);
    const peer = new FuzzPeer(socket, 'server', listener, options.peer);
    peer.deflate = accepted?.codec ?? null;
    if (listener instanceof CaseRun) listener.httpResponse = response;
    return peer;
  };
  switch (url.pathname) {
    case '/getCaseCount': {
      const peer = open(IDLE);
      peer.start(head);
      peer.sendMessage(Buffer.from(String(options.cases.length)), false);
      peer.sendClose();
      return;
    }
    case '/runCase': {
      if (!agent) throw new HandshakeError('runCase needs an agent: /runCase?case=N&agent=NAME', 400);
      const index = caseIndex(url, options.cases);
      const run = new CaseRun(options.cases[index - 1], index, agent);
      run.httpRequest = requestText(request);
      const probe = run.definition.response;
      if (probe !== undefined) {
        answerWithProbe(socket, head, key, probe, run, options, offers.length > 0);
        return;
      }
      const peer = open(run, run.definition);
      const played = run.play(peer);
      peer.start(head);
      void played.then(() => options.onCase(run));
      return;
    }
    case '/updateReports': {
      if (!agent) throw new HandshakeError('updateReports needs an agent: /updateReports?agent=NAME', 400);
      const peer = open(IDLE);
      peer.start(head);
      options.onUpdateReports(agent);
      peer.sendClose();
      return;
    }
    default:
      throw new HandshakeError(`unknown path ${url.pathname}: use /getCaseCount, /runCase or /updateReports`, 404);
  }
}

/**
 * Category 14, clients under test: our odd answer instead of the 101, then
 * the case on the same socket (an echo a conformant client gives, or must
 * not give). Written whole or one octet per turn; the first message may
 * share the answer's segment.
 */
function answerWithProbe(socket: Socket, head: Buffer, key: string, probe: ResponseProbe, run: CaseRun, options: FuzzingServerOptions, offered: boolean): void {
  if (probe.needsDeflateOffer && !offered) {
    socket.end(encodeRefusal(refusal(400, 'this case needs a permessage-deflate offer')));
    run.decidedByHandshake(Verdict.UNIMPLEMENTED, 'The client offered no permessage-deflate (RFC 7692), so its negotiation cannot be tested');
    options.onCase(run);
    return;
  }
  const answer = probe.head(key);
  run.httpResponse = answer;
  const first = probe.pipelined ? encodeRawFrame({ opcode: 1, payload: Buffer.from(PROBE_MESSAGE), mask: null }).bytes : Buffer.alloc(0);
  const bytes = Buffer.concat([Buffer.from(answer, 'latin1'), first]);
  socket.setNoDelay(true);
  const start = () => {
    const peer = new FuzzPeer(socket, 'server', run, options.peer);
    peer.deflate = probe.codec?.() ?? null;
    const played = run.play(peer);
    peer.start(head);
    void played.then(() => options.onCase(run));
  };
  if (!probe.byteByByte) {
    socket.write(bytes);
    start();
    return;
  }
  socket.on('error', () => {});
  let i = 0;
  const next = () => {
    if (socket.destroyed) {
      run.neverOpened('the client closed the connection while the answer was arriving');
      options.onCase(run);
      return;
    }
    if (i >= bytes.length) return start();
    socket.write(bytes.subarray(i, ++i));
    setImmediate(next);
  };
  next();
}

/** The 1-based case number from `case=N` or `casetuple=1.2.3`. */
function caseIndex(url: URL, cases: CaseDefinition[]): number {
  const tuple = url.searchParams.get('casetuple');
  if (tuple !== null) {
    const i = cases.findIndex((c) => c.id === tuple.trim());
    if (i === -1) throw new HandshakeError(`case ${tuple} is not among the cases this fuzzer runs`, 404);
    return i + 1;
  }
  const raw = url.searchParams.get('case');
  const n = Number(raw);
  if (raw === null || !Number.isInteger(n) || n < 1 || n > cases.length) {
    throw new HandshakeError(`case must be a number from 1 to ${cases.length}`, 404);
  }
  return n;
}

function requestText(request: http.IncomingMessage): string {
  let text = `${request.method} ${request.url} HTTP/${request.httpVersion}\r\n`;
  for (let i = 0; i < request.rawHeaders.length; i += 2) text += `${request.rawHeaders[i]}: ${request.rawHeaders[i + 1]}\r\n`;
  return text;
}
