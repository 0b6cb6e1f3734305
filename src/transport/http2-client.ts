import { resolveLimits } from '../protocol/limits.js';
import http2 from 'node:http2';
import { createHash } from 'node:crypto';
import type net from 'node:net';
import type tls from 'node:tls';
import { Connection } from '../protocol/connection.js';
import { PerMessageDeflate, type DeflateOptions } from '../protocol/deflate.js';
import { HandshakeError } from '../protocol/handshake.js';
import { MAX_REFUSAL_BODY, type Accepted } from '../protocol/client-handshake.js';
import { ExtendedConnectRequest, responseOf } from '../protocol/extended-connect.js';
import { WebSocket } from './websocket.js';
import { clearTimer, setTimer } from './timers.js';
import { ConnectError } from './connect-error.js';
import {
  asConnectError, checkOptions, dial, handshaken, openWebSocket, secureContext, withPrefix,
  type ConnectOptions,
} from './client.js';
import { RESET_CODES, streamAsSocket } from './http2-stream.js';
import { parseWebSocketUrl, type Target } from '../protocol/url.js';

/**
 * The client of WebSockets over HTTP/2 (RFC 8441): one session per origin
 * (and TLS settings) carries every WebSocket opened to it, each on its own
 * stream. A session opens on the first connect, closes when its last
 * WebSocket has, and is forgotten once the server sends GOAWAY (later
 * connects open a new one). With `http2: 'auto'` a server that does not
 * choose h2 in TLS ALPN, or does not advertise SETTINGS_ENABLE_CONNECT_PROTOCOL,
 * is reached over HTTP/1.1 instead, on a new connection.
 */

/** Our receive window per stream and per session, in bytes: node:http2's 64 KiB default would cap a stream at 64 KiB per round trip. */
const WINDOW_SIZE = 1024 * 1024;

type Mode = true | 'auto';

export async function connectHttp2(url: string | URL, options: ConnectOptions): Promise<WebSocket> {
  let target: Target;
  let settings: ReturnType<typeof checkOptions>;
  let request: ExtendedConnectRequest;
  let context: tls.SecureContext | undefined;
  const mode = options.http2 as Mode;
  try {
    if (mode !== true && mode !== 'auto') throw new TypeError(`http2 must be true, false or 'auto', not ${JSON.stringify(options.http2)}`);
    target = parseWebSocketUrl(url);
    settings = checkOptions(options);
    if (settings.maxRedirects > 0) throw new ConnectError('redirects are not followed over HTTP/2 yet: maxRedirects needs http2: false', 'ERR_UNSUPPORTED');
    request = new ExtendedConnectRequest({
      authority: target.hostHeader,
      path: target.resource,
      scheme: target.secure ? 'https' : 'http',
      headers: options.headers,
      protocols: options.protocols,
      deflate: settings.deflate,
    });
    context = secureContext(options);
  } catch (error) {
    throw error instanceof ConnectError ? error : withPrefix(error as Error);
  }
  // HTTP/2 without TLS exists only by prior knowledge; 'auto' cannot discover it.
  if (mode === 'auto' && !target.secure) return openWebSocket(await handshaken(url, { ...options, http2: false }), options);
  const started = performance.now();
  const deadline = new AbortController();
  const expire = () => deadline.abort(new ConnectError(`timed out after ${settings.timeout / 1000} s`, 'ETIMEDOUT'));
  const timer = Number.isFinite(settings.timeout) ? setTimer(expire, settings.timeout) : null;
  try {
    const session = await sessions.get(target, options, context, deadline.signal, mode);
    if (session === null) {
      const left = settings.timeout - (performance.now() - started);
      return openWebSocket(await handshaken(url, { ...options, http2: false, timeout: Math.max(1, left) }), options);
    }
    const { stream, accepted } = await openStream(session, request, deadline.signal);
    return webSocketOnStream(stream, session, accepted, request, settings.deflate, options);
  } finally {
    clearTimer(timer);
  }
}

function webSocketOnStream(
  stream: http2.ClientHttp2Stream, session: http2.ClientHttp2Session, accepted: Accepted,
  request: ExtendedConnectRequest, deflateOptions: DeflateOptions | null, options: ConnectOptions,
): WebSocket {
  try {
    const deflate = accepted.deflate === null ? null : new PerMessageDeflate(accepted.deflate, deflateOptions ?? {});
    const limits = resolveLimits(options); // once, for the protocol and the I/O loop
    const connection = new Connection({ side: 'client', maxMessageSize: limits.maxMessageSize, textAsBytes: options.textAsBytes, deflate, maskKey: options.maskKey });
    const ws = new WebSocket(streamAsSocket(stream, session), connection, {
      ...options,
      limits,
      extensions: accepted.extensions,
      protocol: accepted.protocol,
      handshake: { request: request.requestHead, response: accepted.response.head },
    });
    stream.resume();
    return ws;
  } catch (error) {
    stream.close(RESET_CODES.cancel);
    throw error;
  }
}

/**
 * Sends the CONNECT on a new stream and waits for the answer: a 2xx opens
 * the WebSocket; another status is a refusal (with up to 4 KiB of its
 * body); a reset, the session's end or the deadline fail it. The stream
 * is left paused on success, so no frame is read before the WebSocket is.
 */
function openStream(session: http2.ClientHttp2Session, request: ExtendedConnectRequest, signal: AbortSignal): Promise<{ stream: http2.ClientHttp2Stream; accepted: Accepted }> {
  return new Promise((resolve, reject) => {
    let stream: http2.ClientHttp2Stream;
    try {
      stream = session.request(request.headers, { endStream: false });
    } catch (error) {
      return reject(new ConnectError(`HTTP/2: ${(error as Error).message}`, 'ERR_CONNECT', { cause: error }));
    }
    sessions.track(session, stream);
    let settled = false;
    const finish = (error: unknown, value?: { stream: http2.ClientHttp2Stream; accepted: Accepted }): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      stream.removeListener('response', onResponse);
      stream.removeListener('close', onClose);
      if (value !== undefined) return resolve(value);
      if (!stream.closed) stream.close(RESET_CODES.cancel);
      reject(error);
    };
    const onAbort = (): void => finish(signal.reason);
    const onClose = (): void => finish(new ConnectError(`the server reset the stream (${resetName(stream.rstCode)}) before answering`, 'ECONNRESET'));
    const onResponse = (headers: http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader): void => {
      let accepted: Accepted | null;
      try {
        accepted = request.receiveResponse(headers);
      } catch (error) {
        return finish(asConnectError(error instanceof HandshakeError ? error : new HandshakeError(String(error)), { tls: true }));
      }
      if (accepted !== null) {
        stream.pause();
        return finish(null, { stream, accepted });
      }
      readRefusal(stream, headers, finish);
    };
    stream.on('error', ignore); // reported through 'close' and rstCode
    stream.on('response', onResponse);
    stream.on('close', onClose);
    signal.addEventListener('abort', onAbort);
  });
}

/** Reads up to 4 KiB of a refusal's body, then fails with its status, headers and that body. */
function readRefusal(stream: http2.ClientHttp2Stream, headers: http2.IncomingHttpHeaders, finish: (error: unknown) => void): void {
  const response = responseOf(headers);
  const chunks: Buffer[] = [];
  let size = 0;
  const done = (): void => {
    stream.removeListener('data', onData);
    stream.removeListener('end', done);
    stream.removeListener('close', done);
    finish(new ConnectError(`unexpected HTTP status ${response.status}`, 'ERR_UNEXPECTED_STATUS', {
      refusal: { status: response.status, headers: Object.fromEntries(response.headers), body: Buffer.concat(chunks).subarray(0, MAX_REFUSAL_BODY) },
    }));
  };
  const onData = (chunk: Buffer): void => {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= MAX_REFUSAL_BODY) done();
  };
  stream.on('data', onData);
  stream.once('end', done);
  stream.once('close', done);
}

/** RFC 9113 §7's error codes, by value. */
const RESET_NAMES = [
  'NO_ERROR', 'PROTOCOL_ERROR', 'INTERNAL_ERROR', 'FLOW_CONTROL_ERROR', 'SETTINGS_TIMEOUT', 'STREAM_CLOSED', 'FRAME_SIZE_ERROR',
  'REFUSED_STREAM', 'CANCEL', 'COMPRESSION_ERROR', 'CONNECT_ERROR', 'ENHANCE_YOUR_CALM', 'INADEQUATE_SECURITY', 'HTTP_1_1_REQUIRED',
];

/** An HTTP/2 error code by its RFC 9113 §7 name. */
export const resetName = (code: number | undefined): string => (code === undefined ? 'no code' : RESET_NAMES[code] ?? `error code ${code}`);

function ignore(): void {}

/**
 * The shared sessions, one per origin and TLS settings. A session is
 * closed when its last stream is (so nothing keeps the process alive),
 * and forgotten when it closes or the server sends GOAWAY.
 */
class SessionPool {
  private readonly byKey = new Map<string, Promise<http2.ClientHttp2Session | null>>();
  private readonly streams = new Map<http2.ClientHttp2Session, number>();

  async get(target: Target, options: ConnectOptions, context: tls.SecureContext | undefined, signal: AbortSignal, mode: Mode): Promise<http2.ClientHttp2Session | null> {
    const key = poolKey(target, options, mode);
    const pooled = this.byKey.get(key);
    if (pooled !== undefined) {
      const session = await pooled.catch(() => null);
      if (session !== null && !session.closed && !session.destroyed) return session;
      if (this.byKey.get(key) === pooled) this.byKey.delete(key);
    }
    const opening = openSession(target, options, context, signal, mode);
    this.byKey.set(key, opening);
    let session: http2.ClientHttp2Session | null;
    try {
      session = await opening;
    } catch (error) {
      if (this.byKey.get(key) === opening) this.byKey.delete(key);
      throw error;
    }
    if (session === null) {
      this.byKey.delete(key); // an HTTP/1.1 answer is not remembered: the server may turn HTTP/2 on
      return null;
    }
    const forget = (): void => {
      if (this.byKey.get(key) === opening) this.byKey.delete(key);
    };
    session.once('goaway', forget);
    session.once('close', () => {
      forget();
      this.streams.delete(session!);
    });
    return session;
  }

  /** Counts a stream on its session; the session closes (gracefully) after its last stream. */
  track(session: http2.ClientHttp2Session, stream: http2.ClientHttp2Stream): void {
    this.streams.set(session, (this.streams.get(session) ?? 0) + 1);
    stream.once('close', () => {
      const left = (this.streams.get(session) ?? 1) - 1;
      if (left > 0) return void this.streams.set(session, left);
      this.streams.delete(session);
      if (!session.closed && !session.destroyed) session.close();
    });
  }
}

const sessions = new SessionPool();

/** Whatever changes the connection (not the request) names a session: origin, TLS settings, proxy, mode. */
function poolKey(target: Target, options: ConnectOptions, mode: Mode): string {
  const hash = createHash('sha256');
  for (const name of ['ca', 'cert', 'key', 'pfx', 'passphrase', 'ciphers', 'minVersion', 'maxVersion', 'rejectUnauthorized', 'servername', 'proxy'] as const) {
    const value = options[name];
    hash.update(`${name}=`);
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item === undefined) continue;
      hash.update(Buffer.isBuffer(item) ? item : typeof item === 'object' && item !== null && 'buf' in item ? String(item.buf) : String(item));
      hash.update('\0');
    }
  }
  // A checkServerIdentity function cannot be compared: such connections share nothing.
  if (options.checkServerIdentity !== undefined) hash.update(`unshared ${unshared++}`);
  return `${target.secure ? 'wss' : 'ws'}://${target.host}:${target.port} ${String(mode)} ${hash.digest('base64')}`;
}
let unshared = 0;

/**
 * A new session: TCP (or the proxy tunnel) and TLS as for HTTP/1.1, with
 * ALPN offering h2 (and http/1.1 for 'auto'), then the server's SETTINGS.
 * Null means "use HTTP/1.1" ('auto' only): the server chose http/1.1 or did
 * not advertise extended CONNECT.
 */
async function openSession(target: Target, options: ConnectOptions, context: tls.SecureContext | undefined, signal: AbortSignal, mode: Mode): Promise<http2.ClientHttp2Session | null> {
  // http/1.1 is offered even for http2: true: an HTTP/1.1-only server would otherwise end TLS with an alert, not a reason.
  const socket = await dial(target, options, context, signal, target.secure ? ['h2', 'http/1.1'] : undefined);
  const alpn = (socket as tls.TLSSocket).alpnProtocol;
  if (target.secure && alpn !== 'h2') {
    socket.destroy();
    if (mode === 'auto') return null;
    throw new ConnectError(`the server does not speak HTTP/2 (TLS ALPN: ${alpn || 'none chosen'}); use http2: 'auto' or false`, 'ERR_HANDSHAKE');
  }
  const session = http2.connect(`${target.secure ? 'https' : 'http'}://${target.hostHeader}`, {
    createConnection: () => socket as net.Socket as unknown as import('node:stream').Duplex,
    settings: { enablePush: false, initialWindowSize: WINDOW_SIZE },
  });
  session.on('error', ignore); // each stream reports its own end; a session error ends them all
  try {
    await remoteSettings(session, signal);
  } catch (error) {
    session.destroy();
    throw error;
  }
  session.setLocalWindowSize(WINDOW_SIZE * 16);
  if (session.remoteSettings.enableConnectProtocol !== true) {
    session.close();
    if (mode === 'auto') return null;
    throw new ConnectError('the server speaks HTTP/2 but did not advertise SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441 §3): it takes no WebSockets over HTTP/2', 'ERR_HANDSHAKE');
  }
  return session;
}

function remoteSettings(session: http2.ClientHttp2Session, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const stop = (): void => {
      session.removeListener('remoteSettings', onSettings);
      session.removeListener('close', onClose);
      session.removeListener('error', onError);
      signal.removeEventListener('abort', onAbort);
    };
    const onSettings = (): void => {
      stop();
      resolve();
    };
    const onError = (error: Error): void => {
      stop();
      reject(new ConnectError(`HTTP/2: ${error.message}`, 'ERR_CONNECT', { cause: error }));
    };
    const onClose = (): void => {
      stop();
      reject(new ConnectError('the server closed the HTTP/2 session before its SETTINGS', 'ECONNRESET'));
    };
    const onAbort = (): void => {
      stop();
      reject(signal.reason);
    };
    if (signal.aborted) return onAbort();
    session.once('remoteSettings', onSettings);
    session.once('close', onClose);
    session.once('error', onError);
    signal.addEventListener('abort', onAbort);
  });
}
