import net from 'node:net';
import tls from 'node:tls';
import { parseWebSocketUrl } from '../transport/client.js';
import { HeadReader, buildClientRequest, checkServerResponse, generateKey, parseResponseHead } from '../protocol/handshake.js';
import { CaseRun, type CaseDefinition } from './case.js';
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
  const run = new CaseRun(definition, index, target.agent ?? 'UnknownServer');
  if (target.http2) return playOverHttp2(target, run);
  const socket = target.secure
    ? tls.connect({ host: target.host, port: target.port, servername: net.isIP(target.host) ? undefined : target.host, rejectUnauthorized: false })
    : net.connect({ host: target.host, port: target.port });
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
