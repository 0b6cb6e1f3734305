import http2 from 'node:http2';
import type { TLSSocket } from 'node:tls';
import type { Socket } from 'node:net';
import type { Refusal } from '../protocol/server-handshake.js';
import { isWebSocketConnect, refusalHeaders, type StreamAgreement } from '../protocol/extended-connect.js';
import { RESET_CODES, streamAsSocket, type StreamSocket } from './http2-stream.js';

/**
 * The HTTP/2 side of the server (RFC 8441): the secure server that takes
 * both HTTP/2 and HTTP/1.1 on one port, the listeners that find WebSocket
 * streams on it (or on a caller's server), and the answers written on a
 * stream. What the handshake decides is `ExtendedConnectHandshake`'s; what
 * runs after it is the same `WebSocket` as over HTTP/1.1.
 */

export type AnyHttp2Server = http2.Http2SecureServer | http2.Http2Server;

/** HTTP/2 limits of a server; each has a default. */
export interface Http2Limits {
  /** Streams (WebSockets and requests) one session may have open at once. Default 1000. */
  maxConcurrentStreams?: number;
  /** Memory nghttp2 may use for one session, in MB, before it refuses new streams (ENHANCE_YOUR_CALM). Default 64. */
  maxSessionMemory?: number;
  /**
   * How long a session with no stream open is kept, in ms (HTTP/1.1's
   * keep-alive timeout, for HTTP/2); then it is closed with GOAWAY. Sessions
   * with streams, idle WebSockets included, are never timed out here.
   * Default 60000; Infinity keeps idle sessions.
   */
  idleTimeout?: number;
}

export const DEFAULT_MAX_CONCURRENT_STREAMS = 1000;
export const DEFAULT_MAX_SESSION_MEMORY = 64;
export const DEFAULT_IDLE_TIMEOUT = 60_000;

/** The extended-CONNECT request handed to a route's handler, with the fields of node:http's IncomingMessage it uses most. */
export interface Http2ConnectRequest {
  readonly method: string;
  /** `:path`: path and query. */
  readonly url: string;
  readonly httpVersion: '2.0';
  /** Lower-case names, pseudo-headers included, as node:http2 gives them. */
  readonly headers: http2.IncomingHttpHeaders;
  readonly rawHeaders: readonly string[];
  /** The stream the WebSocket runs on. */
  readonly stream: http2.ServerHttp2Stream;
  /** The session's TLS (or TCP) socket. */
  readonly socket: TLSSocket | null;
}

export type StreamListener = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, rawHeaders: string[]) => void;

/** Checks the `http2` option once: true, false, absent, or its limits. */
export function http2Limits(value: unknown): Required<Http2Limits> | null {
  if (value === undefined || value === false) return null;
  const limits = value === true ? {} : value;
  if (limits === null || typeof limits !== 'object') throw new TypeError(`http2 must be true, false or { maxConcurrentStreams, maxSessionMemory }, not ${String(value)}`);
  const { maxConcurrentStreams = DEFAULT_MAX_CONCURRENT_STREAMS, maxSessionMemory = DEFAULT_MAX_SESSION_MEMORY, idleTimeout = DEFAULT_IDLE_TIMEOUT } = limits as Http2Limits;
  if (!Number.isInteger(maxConcurrentStreams) || maxConcurrentStreams < 1 || maxConcurrentStreams > 2 ** 31 - 1) {
    throw new RangeError(`http2.maxConcurrentStreams must be an integer from 1 to 2^31-1, not ${String(maxConcurrentStreams)}`);
  }
  if (!(typeof maxSessionMemory === 'number' && maxSessionMemory >= 1 && Number.isFinite(maxSessionMemory))) {
    throw new RangeError(`http2.maxSessionMemory must be a number of MB ≥ 1, not ${String(maxSessionMemory)}`);
  }
  if (!(typeof idleTimeout === 'number' && idleTimeout > 0)) throw new RangeError(`http2.idleTimeout must be a number of ms > 0 (Infinity: no limit), not ${String(idleTimeout)}`);
  return { maxConcurrentStreams, maxSessionMemory, idleTimeout };
}

/** Time a timed-out session gets to finish after its GOAWAY before it is destroyed, in ms. */
const GOAWAY_GRACE = 1000;

/**
 * Closes `session` once it has had no stream open for `idleTimeout` ms, so
 * a client that opens a session (or breaks one) and then sends nothing
 * holds no socket for ever. node:http2's timer counts any frame as
 * activity; it is re-armed each time the last stream closes.
 */
export function closeWhenIdle(session: http2.ServerHttp2Session, idleTimeout: number): void {
  if (!Number.isFinite(idleTimeout)) return;
  let open = 0;
  session.on('timeout', () => {
    if (open > 0 || session.closed || session.destroyed) return;
    session.close();
    setTimeout(() => session.destroy(), GOAWAY_GRACE).unref();
  });
  session.setTimeout(idleTimeout);
  session.on('stream', (stream: http2.ServerHttp2Stream) => {
    open++;
    stream.once('close', () => {
      open--;
      if (open === 0 && !session.destroyed) session.setTimeout(idleTimeout);
    });
  });
}

/**
 * A secure server speaking HTTP/2 and, for clients that offer only
 * http/1.1 in ALPN, HTTP/1.1 (its 'request' and 'upgrade' events are
 * node:http's). It advertises SETTINGS_ENABLE_CONNECT_PROTOCOL, which is
 * right only because the caller handles CONNECT streams on it.
 */
export function createHttp2Server(tls: http2.SecureServerOptions, limits: Required<Http2Limits>, maxHeadSize: number): http2.Http2SecureServer {
  const server = http2.createSecureServer({
    ...tls,
    allowHTTP1: true,
    maxSessionMemory: limits.maxSessionMemory,
    maxHeaderListPairs: 256,
    settings: {
      ...tls.settings,
      enableConnectProtocol: true,
      maxConcurrentStreams: limits.maxConcurrentStreams,
      maxHeaderListSize: maxHeadSize,
    },
  });
  server.on('connection', noDelay);
  return server;
}

/**
 * node:http2 leaves Nagle's algorithm on: a small frame written while an
 * earlier one is unacknowledged waits for the peer's delayed ACK (40 ms on
 * Linux), so a WebSocket sending many small messages crawls. node:http
 * turns it off for HTTP/1.1; this does it for every connection of an HTTP/2 server.
 */
export function noDelay(socket: Socket): void {
  socket.setNoDelay(true);
}

/**
 * Hands every WebSocket CONNECT stream of `server` to `onStream` and
 * advertises that it may come; returns what undoes both. A caller's
 * compatibility 'request' handler would answer CONNECT with 405
 * (nodejs/node#36977) unless someone listens to 'connect': we do, for the
 * streams we take, and answer other CONNECTs with 405 only when nobody
 * else listens.
 */
export function listenForStreams(server: AnyHttp2Server, onStream: StreamListener): () => void {
  const streamListener = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, _flags: number, rawHeaders: string[]): void => {
    if (isWebSocketConnect(headers)) onStream(stream, headers, rawHeaders);
  };
  const connectListener = (request: http2.Http2ServerRequest, response: http2.Http2ServerResponse): void => {
    if (isWebSocketConnect(request.headers)) return; // ours, through 'stream'
    if (server.listenerCount('connect') === 1) {
      response.statusCode = 405;
      response.end();
    }
  };
  server.on('stream', streamListener);
  server.on('connect', connectListener);
  server.updateSettings({ enableConnectProtocol: true });
  return () => {
    server.removeListener('stream', streamListener);
    server.removeListener('connect', connectListener);
    server.updateSettings({ enableConnectProtocol: false });
  };
}

/** How long a refused client may keep its half of the stream open after our answer, in ms. */
const REFUSAL_LINGER = 500;

/**
 * Answers a refused CONNECT (status, headers and body, then END_STREAM)
 * and resets the stream with NO_ERROR if the client still has not ended
 * its half shortly after, so a refused client holds no stream (RFC 9113 §8.1).
 */
export function refuseStream(stream: http2.ServerHttp2Stream, refused: Refusal): void {
  if (stream.closed || stream.destroyed || stream.headersSent) {
    stream.close(RESET_CODES.refused);
    return;
  }
  stream.respond(refusalHeaders(refused));
  stream.resume();
  stream.end(refused.body);
  const timer = setTimeout(() => stream.close(http2.constants.NGHTTP2_NO_ERROR), REFUSAL_LINGER);
  stream.once('close', () => clearTimeout(timer));
}

/** Answers 200 (RFC 8441 §5) and gives the stream as the WebSocket's socket; null when the client has gone meanwhile. */
export function acceptStream(stream: http2.ServerHttp2Stream, agreement: StreamAgreement): StreamSocket | null {
  if (stream.closed || stream.destroyed) return null;
  stream.respond({ ':status': 200, ...agreement.headers });
  return streamAsSocket(stream, stream.session!);
}

/** Resets one stream after our own failure; the session and its other streams go on. */
export function resetStream(stream: http2.ServerHttp2Stream): void {
  if (!stream.closed && !stream.destroyed) stream.close(RESET_CODES.internal);
}

export function connectRequest(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, rawHeaders: string[]): Http2ConnectRequest {
  return {
    method: String(headers[':method']),
    url: String(headers[':path'] ?? '/'),
    httpVersion: '2.0',
    headers,
    rawHeaders,
    stream,
    socket: (stream.session?.socket as TLSSocket | undefined) ?? null,
  };
}

/** node:http2 exports no server class to test against; its servers alone have updateSettings. */
export const isHttp2Server = (server: object): server is AnyHttp2Server =>
  typeof (server as { updateSettings?: unknown }).updateSettings === 'function';
