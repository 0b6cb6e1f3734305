import net from 'node:net';
import tls from 'node:tls';
import { Connection } from '../protocol/connection.js';
import { PerMessageDeflate, acceptResponse, clientOffer, deflateSetting, type DeflateOptions } from '../protocol/deflate.js';
import {
  DEFAULT_MAX_HEAD_SIZE, HandshakeError, HeadReader, buildClientRequest, checkHeaders, checkServerResponse,
  generateKey, parseResponseHead,
} from '../protocol/handshake.js';
import { WebSocket, checkConnectionLimits, type ConnectionLimits } from './websocket.js';

/** TLS settings passed through to `tls.connect` for wss:// URLs. */
export type TlsOptions = Pick<tls.ConnectionOptions,
  'ca' | 'cert' | 'key' | 'pfx' | 'passphrase' | 'rejectUnauthorized' | 'servername' | 'minVersion' | 'maxVersion' | 'ciphers' | 'checkServerIdentity'>;

export interface ConnectOptions extends ConnectionLimits, TlsOptions {
  /** Covers DNS, TCP, TLS and the opening handshake, in ms. Default 10000. */
  timeout?: number;
  /** Extra handshake headers. Names must be tokens; values must not hold CR, LF or NUL. */
  headers?: Record<string, string | number | Array<string | number>>;
  /** Offer permessage-deflate (RFC 7692): true (default), false, or its settings. */
  perMessageDeflate?: boolean | DeflateOptions;
  /** Largest HTTP response head accepted. Default 16 KiB. */
  maxHeadSize?: number;
  /** Masking key source, for tests. Default: random per frame. */
  maskKey?: () => Uint8Array;
}

/** What went wrong while connecting, as `websocket connect failed: <why>`. */
export class ConnectError extends Error {
  override name = 'ConnectError';
  constructor(why: string, readonly code: string, options?: { cause?: unknown }) {
    super(`websocket connect failed: ${why}`, options);
  }
}

const TLS_KEYS = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername', 'minVersion', 'maxVersion', 'ciphers', 'checkServerIdentity'] as const;

/** The TLS options the caller set; an explicit undefined would override Node's defaults (checkServerIdentity). */
function definedTlsOptions(options: ConnectOptions): TlsOptions {
  const result: Record<string, unknown> = {};
  for (const name of TLS_KEYS) if (options[name] !== undefined) result[name] = options[name];
  return result as TlsOptions;
}

interface Target {
  secure: boolean;
  host: string;
  port: number;
  hostHeader: string;
  resource: string;
}

/** Checks the URL (§3): ws or wss, a host, a valid port, no fragment. */
export function parseWebSocketUrl(input: string | URL): Target {
  let url: URL;
  try {
    url = typeof input === 'string' ? new URL(input) : input;
  } catch {
    throw new ConnectError(`invalid URL ${JSON.stringify(String(input))}`, 'ERR_INVALID_URL');
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new ConnectError(`unsupported URL scheme "${url.protocol}" in ${url.href}: use ws:// or wss://`, 'ERR_INVALID_URL');
  }
  if (url.hostname === '') throw new ConnectError(`no host in URL ${url.href}`, 'ERR_INVALID_URL');
  if (url.hash !== '') throw new ConnectError(`URL ${url.href} has a fragment, which WebSocket URLs must not have (RFC 6455 §3)`, 'ERR_INVALID_URL');
  if (url.username !== '' || url.password !== '') {
    throw new ConnectError('credentials in the URL are not sent; pass an Authorization header instead', 'ERR_INVALID_URL');
  }
  const secure = url.protocol === 'wss:';
  const port = url.port === '' ? (secure ? 443 : 80) : Number(url.port);
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return {
    secure,
    host,
    port,
    // §4.1 item 4: the port is included when it is not the scheme's default (URL drops default ports).
    hostHeader: url.port === '' ? url.hostname : `${url.hostname}:${url.port}`,
    resource: (url.pathname || '/') + url.search,
  };
}

const ERRNO_TEXT: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by peer',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
};

function describe(error: NodeJS.ErrnoException, secure: boolean): ConnectError {
  const code = error.code ?? 'ERR_CONNECT';
  const known = ERRNO_TEXT[code];
  if (known) return new ConnectError(`${known} (${error.message})`, code, { cause: error });
  if (secure && (code.startsWith('ERR_TLS') || code.includes('CERT') || code.includes('SSL') || /certificate|SSL|TLS/i.test(error.message))) {
    return new ConnectError(`TLS: ${error.message}`, code, { cause: error });
  }
  return new ConnectError(error.message, code, { cause: error });
}

/**
 * Opens a WebSocket client connection (§4.1). Everything before the 101
 * answer is checked is bounded by `timeout`; every failure rejects with a
 * ConnectError saying why.
 */
export function connect(url: string | URL, options: ConnectOptions = {}): Promise<WebSocket> {
  let target: Target;
  let headers: Array<[string, string]>;
  let offer: string | undefined;
  let deflateOptions: DeflateOptions | null;
  try {
    // Bad limits are the caller's RangeError, before anything is sent.
    checkConnectionLimits(options);
    deflateOptions = deflateSetting(options.perMessageDeflate);
  } catch (error) {
    return Promise.reject(error);
  }
  try {
    target = parseWebSocketUrl(url);
    headers = checkHeaders(options.headers);
    offer = deflateOptions === null ? undefined : clientOffer(deflateOptions);
  } catch (error) {
    if (error instanceof ConnectError) return Promise.reject(error);
    return Promise.reject(new ConnectError((error as Error).message, 'ERR_INVALID_ARG', { cause: error }));
  }
  const timeout = options.timeout ?? 10_000;
  if (!(timeout > 0)) return Promise.reject(new ConnectError(`invalid timeout ${timeout}`, 'ERR_INVALID_ARG'));

  return new Promise((resolve, reject) => {
    const key = generateKey();
    const socket = target.secure
      ? tls.connect({
        host: target.host,
        port: target.port,
        servername: net.isIP(target.host) ? undefined : target.host,
        ...definedTlsOptions(options),
      })
      : net.connect({ host: target.host, port: target.port });
    socket.setNoDelay(true);
    const head = new HeadReader(options.maxHeadSize ?? DEFAULT_MAX_HEAD_SIZE);
    let settled = false;

    const fail = (error: ConnectError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    const timer = setTimeout(() => fail(new ConnectError(`timed out after ${timeout / 1000} s`, 'ETIMEDOUT')), timeout);

    const onError = (error: NodeJS.ErrnoException) => fail(describe(error, target.secure));
    const onClose = () => fail(new ConnectError('the server closed the connection before completing the handshake', 'ECONNRESET'));
    const onData = (chunk: Buffer) => {
      let done: { head: string; rest: Buffer } | null;
      let deflate: PerMessageDeflate | null = null;
      try {
        done = head.push(chunk);
        if (done === null) return;
        const response = parseResponseHead(done.head);
        checkServerResponse(response, key);
        const extensions = response.headers.get('sec-websocket-extensions');
        if (deflateOptions === null) {
          if (extensions !== undefined && extensions.trim() !== '') throw new HandshakeError(`the server accepted an extension we did not offer: ${extensions}`);
        } else {
          let params;
          try {
            params = acceptResponse(extensions, deflateOptions);
          } catch (error) {
            throw new HandshakeError(`invalid Sec-WebSocket-Extensions answer: ${(error as Error).message}`);
          }
          if (params) deflate = new PerMessageDeflate(params, deflateOptions);
        }
        settled = true;
        clearTimeout(timer);
        socket.removeListener('data', onData);
        socket.removeListener('error', onError);
        socket.removeListener('close', onClose);
        const connection = new Connection({ side: 'client', maxMessageSize: options.maxMessageSize, deflate, maskKey: options.maskKey });
        resolve(new WebSocket(socket, connection, { ...options, extensions: deflate ? extensions : '', head: done.rest }));
      } catch (error) {
        fail(new ConnectError((error as Error).message, 'ERR_HANDSHAKE', { cause: error }));
      }
    };

    socket.on('error', onError);
    socket.on('close', onClose);
    socket.on('data', onData);
    socket.once(target.secure ? 'secureConnect' : 'connect', () => {
      socket.write(buildClientRequest({ host: target.hostHeader, resource: target.resource, key, extensions: offer, headers }));
    });
  });
}
