import net from 'node:net';
import tls from 'node:tls';
import { Connection } from '../protocol/connection.js';
import { PerMessageDeflate, deflateSetting, type DeflateOptions } from '../protocol/deflate.js';
import { HandshakeError } from '../protocol/handshake.js';
import { ClientHandshake, type Accepted, type Refused } from '../protocol/client-handshake.js';
import { WebSocket, checkConnectionLimits, type ConnectionLimits } from './websocket.js';
import { resolveLimits, type ResolvedLimits } from '../protocol/limits.js';
import { clearTimer, setTimer } from './timers.js';
import { ConnectError, describeSocketError, type ConnectErrorCode } from './connect-error.js';
import { openTunnel, proxyFor } from './proxy.js';
import { openSocksTunnel } from './socks5.js';
import { exchange, opened } from './socket-steps.js';
import { connectHttp2 } from './http2-client.js';
import { parseWebSocketUrl, type Target } from '../protocol/url.js';

export { ConnectError, type ConnectErrorCode };

/** TLS settings passed through to `tls.connect` for wss:// URLs; `cert`/`key`/`pfx`/`passphrase` present a client certificate. */
export type TlsOptions = Pick<tls.ConnectionOptions,
  'ca' | 'cert' | 'key' | 'pfx' | 'passphrase' | 'rejectUnauthorized' | 'servername' | 'minVersion' | 'maxVersion' | 'ciphers' | 'checkServerIdentity'>;

export interface ConnectOptions extends ConnectionLimits, TlsOptions {
  /** Covers DNS, TCP, the proxy, TLS and the opening handshake (and redirects), in ms. Default 10000; Infinity waits forever. */
  timeout?: number;
  /** Extra handshake headers. Names must be tokens; values latin1 without CR, LF or NUL; Host, Origin… at most once. */
  headers?: Record<string, string | number | Array<string | number>>;
  /** Subprotocols to offer (RFC 6455 §1.9), in order of preference; the server's choice is `ws.protocol`. */
  protocols?: string | string[];
  /**
   * Proxy: HTTP CONNECT "http://[user:pass@]host:port" or SOCKS5 "socks5://[user:pass@]host:port"
   * (the proxy resolves host names); false connects directly. Default: from HTTPS_PROXY / HTTP_PROXY / ALL_PROXY / NO_PROXY.
   */
  proxy?: string | URL | false;
  /** Redirects (301, 302, 303, 307, 308) to follow; never from wss:// to ws://. Default 0. */
  maxRedirects?: number;
  /** Offer permessage-deflate (RFC 7692): true (default), false, or its settings. */
  perMessageDeflate?: boolean | DeflateOptions;
  /** Largest HTTP response head accepted. Default 16 KiB. */
  maxHeadSize?: number;
  /** Masking key source, for tests. Default: random per frame. */
  maskKey?: () => Uint8Array;
  /**
   * Called for each Ping (and Pong) received, from the first frame on: a Ping
   * the server sends with its 101 arrives before `connect` resolves, too
   * early for `ws.onping`. The same as setting `ws.onping` (`ws.onpong`) after.
   */
  onping?: (data: Buffer) => void;
  onpong?: (data: Buffer) => void;
  /**
   * WebSocket over HTTP/2 (RFC 8441): true always (one shared session per
   * origin), 'auto' when the server offers h2 and extended CONNECT, else
   * HTTP/1.1. Default false.
   */
  http2?: boolean | 'auto';
}

/** What makes the TLS context: checked once, before anything is sent, and shared by redirects. */
const CONTEXT_KEYS = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'ciphers', 'minVersion', 'maxVersion'] as const;
/** What each TLS connection checks. */
const CONNECTION_KEYS = ['rejectUnauthorized', 'servername', 'checkServerIdentity'] as const;

/** The options the caller set; an explicit undefined would override Node's defaults (checkServerIdentity). */
function defined<K extends keyof TlsOptions>(options: ConnectOptions, keys: readonly K[]): Pick<TlsOptions, K> {
  const result: Partial<Pick<TlsOptions, K>> = {};
  for (const name of keys) if (options[name] !== undefined) result[name] = options[name];
  return result as Pick<TlsOptions, K>;
}

/**
 * The TLS context for the caller's certificates and trust, or undefined for
 * Node's default. Unusable settings (a wrong pfx passphrase, a key that does
 * not match its certificate) fail here, before any connection is made.
 */
export function secureContext(options: ConnectOptions): tls.SecureContext | undefined {
  const settings = defined(options, CONTEXT_KEYS);
  if (Object.keys(settings).length === 0) return undefined;
  try {
    return tls.createSecureContext(settings);
  } catch (error) {
    throw new ConnectError(`TLS options: ${(error as Error).message}`, 'ERR_TLS', { cause: error });
  }
}

/** A bad argument keeps its class (TypeError, RangeError) and gains the message prefix every connect failure has. */
export function withPrefix(error: Error): Error {
  if (error.message.startsWith('websocket connect failed:')) return error;
  const Kind = error instanceof RangeError ? RangeError : TypeError;
  return new Kind(`websocket connect failed: ${error.message}`, { cause: error });
}

/** An invalid argument is a TypeError (nothing is sent); a URL that is not ws(s) is a ConnectError. */
export function checkOptions(options: ConnectOptions): { timeout: number; maxRedirects: number; deflate: DeflateOptions | null } {
  if (options === null || typeof options !== 'object') throw new TypeError('websocket connect failed: options must be an object');
  const timeout = options.timeout ?? 10_000;
  if (typeof timeout !== 'number' || !(timeout > 0)) throw new TypeError(`websocket connect failed: invalid timeout ${String(timeout)}: a number of ms > 0 (Infinity: no limit)`);
  const maxRedirects = options.maxRedirects ?? 0;
  if (!Number.isInteger(maxRedirects) || maxRedirects < 0) throw new TypeError(`websocket connect failed: maxRedirects must be an integer ≥ 0, not ${String(maxRedirects)}`);
  for (const name of ['onping', 'onpong'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') throw new TypeError(`websocket connect failed: ${name} must be a function`);
  }
  checkConnectionLimits(options); // a RangeError naming the limit, before anything is sent
  return { timeout, maxRedirects, deflate: deflateSetting(options.perMessageDeflate) };
}

/**
 * Opens a WebSocket client connection (§4.1): a connected socket (TCP, TLS,
 * through a proxy), then the opening handshake, then the connection. All of
 * it is bounded by `timeout`; every failure rejects with a ConnectError
 * saying why, a bad argument with a TypeError before anything is sent.
 */
export async function connect(url: string | URL, options: ConnectOptions = {}): Promise<WebSocket> {
  if (options?.http2 !== undefined && options.http2 !== false) return connectHttp2(url, options);
  return openWebSocket(await handshaken(url, options), options);
}

/** A socket whose opening handshake succeeded, before any frame is read: what `connect` wraps in a WebSocket. */
export interface Handshaken {
  /** Paused; TLS for wss:// (then a `tls.TLSSocket`). */
  socket: net.Socket;
  handshake: ClientHandshake;
  outcome: Accepted;
  /** The permessage-deflate settings offered, to build the codec from the server's answer. */
  deflateOptions: DeflateOptions | null;
}

/**
 * Everything `connect` does up to the 101 answer (redirects included), with
 * the same checks, errors and timeout; the caller owns the socket after.
 * The synchronous API uses it to run the protocol on another thread.
 */
export async function handshaken(url: string | URL, options: ConnectOptions = {}): Promise<Handshaken> {
  let target: Target;
  let settings: ReturnType<typeof checkOptions>;
  let handshake: ClientHandshake;
  let context: tls.SecureContext | undefined;
  try {
    // The socket-level API (the sync API's) has a socket to hand over; over HTTP/2 there is only a stream.
    if (options?.http2 !== undefined && options.http2 !== false) {
      throw new ConnectError('http2 is not supported by the synchronous API (it runs the protocol on a socket of its own; over HTTP/2 there is only a stream): use the async connect(), or leave http2 unset', 'ERR_UNSUPPORTED');
    }
    target = parseWebSocketUrl(url);
    settings = checkOptions(options);
    proxyFor(target, options.proxy);
    handshake = newHandshake(target, options, options.headers, settings.deflate);
    context = secureContext(options);
  } catch (error) {
    throw error instanceof ConnectError ? error : withPrefix(error as Error);
  }
  const deadline = new AbortController();
  const expire = () => deadline.abort(new ConnectError(`timed out after ${settings.timeout / 1000} s`, 'ETIMEDOUT'));
  const timer = Number.isFinite(settings.timeout) ? setTimer(expire, settings.timeout) : null;
  try {
    let headers = options.headers;
    for (let redirects = 0; ; redirects++) {
      const socket = await dial(target, options, context, deadline.signal);
      const outcome = await handshakeOn(socket, handshake, target.secure, deadline.signal);
      if (outcome.accepted) return { socket, handshake, outcome, deflateOptions: settings.deflate };
      socket.destroy();
      const next = redirectTarget(outcome, target, redirects, settings.maxRedirects);
      if (next.hostHeader !== target.hostHeader || next.secure !== target.secure) headers = withoutCredentials(headers);
      target = next;
      handshake = newHandshake(target, options, headers, settings.deflate);
    }
  } finally {
    clearTimer(timer);
  }
}

function newHandshake(target: Target, options: ConnectOptions, headers: ConnectOptions['headers'], deflate: DeflateOptions | null): ClientHandshake {
  return new ClientHandshake({
    host: target.hostHeader,
    resource: target.resource,
    headers,
    protocols: options.protocols,
    deflate,
    maxHeadSize: options.maxHeadSize,
  });
}

/** A connected socket to the target: TCP or a proxy tunnel, then TLS for wss:// (SNI and certificate checks against the target host). */
export async function dial(target: Target, options: ConnectOptions, context: tls.SecureContext | undefined, signal: AbortSignal, alpn?: string[]): Promise<net.Socket> {
  const proxy = proxyFor(target, options.proxy);
  let socket: net.Socket;
  if (proxy !== null) {
    socket = proxy.protocol === 'http:' ? await openTunnel(proxy, target, signal) : await openSocksTunnel(proxy, target, signal);
  } else {
    socket = net.connect({ host: target.host, port: target.port });
    socket.setNoDelay(true);
    await opened(socket, 'connect', signal).catch((error) => {
      throw asConnectError(error, { tls: false });
    });
  }
  if (!target.secure) return socket;
  const secure = tls.connect({
    socket,
    host: target.host,
    // RFC 6066 §3: SNI carries host names only, never IP addresses.
    servername: net.isIP(target.host) ? undefined : target.host,
    secureContext: context,
    ...(alpn === undefined ? {} : { ALPNProtocols: alpn }),
    ...defined(options, CONNECTION_KEYS),
  });
  return opened(secure, 'secureConnect', signal).catch((error) => {
    throw asConnectError(error, { tls: true });
  });
}

export function asConnectError(error: unknown, options: { tls: boolean }): ConnectError {
  if (error instanceof ConnectError) return error;
  if (error instanceof HandshakeError) return new ConnectError(error.message, 'ERR_HANDSHAKE', { cause: error });
  return describeSocketError(error as NodeJS.ErrnoException, options);
}

async function handshakeOn(socket: net.Socket, handshake: ClientHandshake, secure: boolean, signal: AbortSignal): Promise<Accepted | Refused> {
  try {
    return await exchange(socket, handshake.request, handshake, signal);
  } catch (error) {
    throw asConnectError(error, { tls: secure });
  }
}

/** The WebSocket over a handshaken socket: the last step of `connect`. */
export function openWebSocket({ socket, handshake, outcome, deflateOptions }: Handshaken, options: ConnectOptions, limits?: ResolvedLimits): WebSocket {
  try {
    const deflate = outcome.deflate === null ? null : new PerMessageDeflate(outcome.deflate, deflateOptions ?? {});
    // Once, for the protocol and the I/O loop; an entry with defaults of its own (the sync worker) passes its record.
    limits ??= resolveLimits(options);
    const connection = new Connection({ side: 'client', maxMessageSize: limits.maxMessageSize, textAsBytes: options.textAsBytes, deflate, maskKey: options.maskKey });
    // exchange() left the socket paused; it flows again on the next tick, after WebSocket has attached its reader.
    socket.resume();
    return new WebSocket(socket, connection, {
      ...options,
      limits,
      extensions: outcome.extensions,
      protocol: outcome.protocol,
      handshake: { request: handshake.requestHead, response: outcome.response.head },
      head: outcome.rest,
    });
  } catch (error) {
    socket.destroy();
    throw error;
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** The refusal as a ConnectError carrying the response (status, headers, up to 4 KiB of body). */
function refusedError(outcome: Refused, why?: string, code: ConnectErrorCode = 'ERR_UNEXPECTED_STATUS'): ConnectError {
  const { status, reason, headers } = outcome.response;
  const statusText = `HTTP status ${status}${reason ? ` ${reason}` : ''}`;
  return new ConnectError(why ?? `unexpected ${statusText}`, code, {
    refusal: { status, headers: Object.fromEntries(headers), body: outcome.body },
  });
}

/**
 * Where a redirect leads, if we follow it: only when `maxRedirects` allows,
 * to ws(s):// or http(s):// (read as ws(s)://), and never from wss:// to
 * ws://, which would send the request in clear text.
 */
function redirectTarget(outcome: Refused, current: Target, redirects: number, maxRedirects: number): Target {
  const status = outcome.response.status;
  if (!REDIRECTS.has(status) || maxRedirects === 0) throw refusedError(outcome);
  if (redirects >= maxRedirects) throw refusedError(outcome, `too many redirects (maxRedirects is ${maxRedirects})`, 'ERR_REDIRECT');
  const location = outcome.response.headers.get('location');
  if (location === undefined) throw refusedError(outcome, `redirect ${status} without a Location header`, 'ERR_REDIRECT');
  let url: URL;
  try {
    url = new URL(location, `${current.secure ? 'wss' : 'ws'}://${current.hostHeader}${current.resource}`);
  } catch {
    throw refusedError(outcome, `redirect to an invalid Location ${JSON.stringify(location)}`, 'ERR_REDIRECT');
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') url = new URL(url.href.replace(/^http/, 'ws'));
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw refusedError(outcome, `redirect to a non-WebSocket URL ${url.href}`, 'ERR_REDIRECT');
  if (current.secure && url.protocol === 'ws:') throw refusedError(outcome, `refusing to follow a redirect from wss:// to ${url.href}`, 'ERR_REDIRECT');
  url.hash = '';
  try {
    return parseWebSocketUrl(url);
  } catch (error) {
    throw refusedError(outcome, `redirect to an unusable URL: ${(error as Error).message}`, 'ERR_REDIRECT');
  }
}

/**
 * Credentials meant for one origin are not sent to another: undici's rule
 * (Authorization, Cookie and Proxy-Authorization go when a redirect changes
 * scheme, host or port). Other headers, custom ones included, are kept, as
 * undici and curl keep them; a secret in a custom header should not be sent
 * with redirects on. Host follows the new URL.
 */
const CROSS_ORIGIN_DROPPED = new Set(['authorization', 'cookie', 'proxy-authorization', 'host']);

function withoutCredentials(headers: ConnectOptions['headers']): ConnectOptions['headers'] {
  if (headers === undefined || headers === null) return headers;
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !CROSS_ORIGIN_DROPPED.has(name.toLowerCase())));
}
