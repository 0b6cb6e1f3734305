import http2 from 'node:http2';
import type { CaseRun } from './case.js';
import { FuzzPeer, type PeerOptions } from './peer.js';
import { offerText, readResponse } from './deflate.js';
import { streamAsSocket } from '../transport/http2-stream.js';
import { noDelay } from '../transport/http2-server.js';
import type { PerMessageDeflate } from '../protocol/deflate.js';
import { HandshakeError } from '../protocol/handshake.js';
import { refusal } from '../protocol/server-handshake.js';
import { ExtendedConnectHandshake, refusalHeaders } from '../protocol/extended-connect.js';
import { serveRequest, type FuzzingServerOptions } from './against-client.js';

/**
 * The fuzzer's client side over HTTP/2 (RFC 8441): each case gets its own
 * session (as each gets its own TCP connection over HTTP/1.1) and plays on
 * one extended-CONNECT stream. A stream has two halves where TCP, as the
 * suite treats it, has one connection: when the server ends its half we
 * end ours, so "the server dropped the connection" reads as over TCP.
 */

interface Http2Target {
  secure: boolean;
  host: string;
  port: number;
  hostHeader: string;
  resource: string;
  openHandshakeTimeout?: number;
  peer?: PeerOptions;
}

/** Opens the stream, sets `run`'s request and response texts, and resolves with the peer ready to play; throws why it could not. */
export async function openCaseStream(target: Http2Target, run: CaseRun, offers: string | undefined, seconds: number): Promise<{ peer: FuzzPeer; close: () => void }> {
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  const session = http2.connect(`${target.secure ? 'https' : 'http'}://${host}:${target.port}`, {
    rejectUnauthorized: false,
    settings: { enablePush: false },
  });
  session.on('error', () => {});
  session.once('connect', (_session, socket) => socket.setNoDelay(true)); // see noDelay
  const timer = setTimeout(() => session.destroy(new Error(`no opening handshake within ${seconds} s`)), seconds * 1000);
  try {
    await new Promise<void>((resolve, reject) => {
      session.once('remoteSettings', () => resolve());
      session.once('error', reject);
      session.once('close', () => reject(new Error('the server closed the HTTP/2 session before its SETTINGS')));
    });
    if (session.remoteSettings.enableConnectProtocol !== true) throw new Error('the server did not advertise SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441 §3)');
    const headers: http2.OutgoingHttpHeaders = {
      ':method': 'CONNECT', ':protocol': 'websocket', ':scheme': target.secure ? 'https' : 'http', ':path': target.resource,
      ':authority': target.hostHeader, 'sec-websocket-version': '13',
    };
    if (offers) headers['sec-websocket-extensions'] = offers;
    run.httpRequest = Object.entries(headers).map(([name, value]) => `${name}: ${String(value)}`).join('\r\n');
    const stream = session.request(headers, { endStream: false });
    stream.on('error', () => {});
    const response = await new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
      stream.once('response', resolve);
      stream.once('close', () => reject(new Error(`the server reset the stream (code ${stream.rstCode}) during the opening handshake`)));
      session.once('error', reject);
    });
    run.httpResponse = Object.entries(response).map(([name, value]) => `${name}: ${String(value)}`).join('\r\n');
    run.serverHeader = typeof response.server === 'string' ? response.server : undefined;
    if (Number(response[':status']) !== 200) throw new Error(`unexpected HTTP status ${response[':status']}`);
    const extensions = typeof response['sec-websocket-extensions'] === 'string' ? response['sec-websocket-extensions'] : undefined;
    if (run.definition.deflate === undefined && extensions) throw new Error(`the server accepted extensions we did not offer: ${extensions}`);
    const deflate: PerMessageDeflate | null = readResponse(extensions);
    stream.pause();
    stream.once('end', () => stream.end());
    stream.once('close', () => session.close());
    const peer = new FuzzPeer(streamAsSocket(stream, session), 'client', run, target.peer);
    peer.deflate = deflate;
    return { peer, close: () => session.destroy() };
  } catch (error) {
    session.destroy();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

export const offersFor = (run: CaseRun): string | undefined => run.definition.deflate?.offers.map(offerText).join(', ');

/**
 * The suite's fuzzingserver protocol over HTTP/2 (RFC 8441), for clients:
 * cleartext HTTP/2 by prior knowledge ("h2c"), as ws:// URLs are, with
 * SETTINGS_ENABLE_CONNECT_PROTOCOL; each driver request is a CONNECT
 * stream, answered 200 and played as over a TCP connection.
 */
export function createHttp2FuzzingServer(options: FuzzingServerOptions): http2.Http2Server {
  const server = http2.createServer({ settings: { enableConnectProtocol: true } });
  server.on('connection', noDelay);
  server.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, _flags: number, rawHeaders: string[]) => {
    stream.on('error', () => {});
    const handshake = new ExtendedConnectHandshake({ headers, rawHeaders, remoteAddress: '' }, { deflate: null });
    try {
      const refused = handshake.check();
      if (refused !== null) throw new HandshakeError(refused.reason, refused.status, Object.fromEntries(refused.headers));
      const session = stream.session!;
      serveRequest(String(headers[':path'] ?? '/'), one(headers['sec-websocket-extensions']), handshake.head, (extensions) => {
        const response: http2.OutgoingHttpHeaders = { ':status': 200 };
        if (extensions !== null) response['sec-websocket-extensions'] = extensions;
        stream.respond(response);
        stream.once('end', () => stream.end()); // the client ended its half: as TCP, the stream is done
        return { socket: streamAsSocket(stream, session), response: `:status: 200${extensions === null ? '' : `\r\nsec-websocket-extensions: ${extensions}`}` };
      }, Buffer.alloc(0), options);
    } catch (error) {
      if (stream.headersSent) return void stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      const status = error instanceof HandshakeError ? error.status : 400;
      const headers = error instanceof HandshakeError ? error.headers : {};
      stream.respond(refusalHeaders(refusal(status, (error as Error).message, Object.entries(headers))));
      stream.end(`${(error as Error).message}\n`);
    }
  });
  return server;
}

const one = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value.join(', ') : value);
