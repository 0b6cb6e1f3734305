import { HandshakeError, checkHeaders, type PeerCertificate } from './handshake.js';
import { clientOffer, negotiateOffer, type DeflateOptions, type DeflateParams } from './deflate.js';
import { checkProtocols, parseProtocolHeader, selectProtocol } from './subprotocols.js';
import { ServerHandshake, checkOffer, refusal, type Refusal, type ServerHandshakeOptions } from './server-handshake.js';
import { acceptedExtensions, type Accepted, type HandshakeResponse } from './client-handshake.js';

/**
 * The opening handshake of a WebSocket over HTTP/2 (RFC 8441, "extended
 * CONNECT") without I/O. The client sends a CONNECT request with
 * `:protocol: websocket` on a new stream, the server answers 200, and the
 * stream then carries the frames of RFC 6455 unchanged. There is no key and
 * no Sec-WebSocket-Accept (§5: HTTP/2 already ties the answer to the
 * request); subprotocols and extensions are negotiated as over HTTP/1.1.
 */

/** HTTP/2 header blocks as node:http2 hands them over: lower-case names, pseudo-headers included. */
export type Http2Headers = Record<string, string | string[] | number | undefined>;

/**
 * Connection-specific headers, which HTTP/2 forbids (RFC 9113 §8.2.2): a
 * peer treats a block carrying them as malformed, so we never send them.
 */
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te']);

/** Headers the 200 sets itself, as over HTTP/1.1. */
const ACCEPT_RESERVED = new Set(['sec-websocket-extensions', 'sec-websocket-protocol']);

/** What the server agreed to: the 200's headers to send and what the connection runs with. */
export interface StreamAgreement {
  /** Response headers besides `:status` (200): lower-case names. */
  headers: Record<string, string | string[]>;
  extensions: string;
  protocol: string;
  deflate: DeflateParams | null;
  request: ServerHandshake['request'];
  handshake: { request: string; response: string };
}

/** A CONNECT request as the stream brought it. */
export interface ConnectRequestHead {
  headers: Http2Headers;
  /** Flat name, value… list in arrival order, when the HTTP/2 library keeps it; else built from `headers`. */
  rawHeaders?: readonly string[];
  remoteAddress: string;
  certificate?: PeerCertificate;
}

const one = (value: Http2Headers[string]): string | undefined => (Array.isArray(value) ? value.join(', ') : value === undefined ? undefined : String(value));

/** Whether a stream's request is a CONNECT asking for the WebSocket protocol (RFC 8441 §4). */
export const isWebSocketConnect = (headers: Http2Headers): boolean =>
  headers[':method'] === 'CONNECT' && headers[':protocol'] !== undefined;

/**
 * The server's side (RFC 8441 §4, §5). The request info handed to routes
 * and `authorize` looks as over HTTP/1.1: method "CONNECT", the path and
 * query from `:path`, and `host` from `:authority` when the client sent no Host.
 */
export class ExtendedConnectHandshake {
  private readonly inner: ServerHandshake;
  private readonly pseudo: Record<string, string | undefined>;

  constructor(head: ConnectRequestHead, private readonly options: ServerHandshakeOptions) {
    const raw: string[] = [];
    const flat = head.rawHeaders ?? Object.entries(head.headers).flatMap(([name, value]) =>
      (Array.isArray(value) ? value : value === undefined ? [] : [String(value)]).flatMap((item) => [name, item]));
    const pseudoLines: string[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      if (flat[i].startsWith(':')) pseudoLines.push(flat[i], flat[i + 1]);
      else raw.push(flat[i], flat[i + 1]);
    }
    const authority = one(head.headers[':authority']);
    if (authority !== undefined && head.headers.host === undefined) raw.unshift('host', authority);
    this.pseudo = {
      method: one(head.headers[':method']),
      protocol: one(head.headers[':protocol']),
      scheme: one(head.headers[':scheme']),
      path: one(head.headers[':path']),
      authority,
    };
    this.inner = new ServerHandshake({
      method: this.pseudo.method ?? 'CONNECT',
      httpVersion: '2',
      url: this.pseudo.path ?? '/',
      rawHeaders: [...pseudoLines, ...raw],
      remoteAddress: head.remoteAddress,
      certificate: head.certificate,
    }, options);
    // The pseudo-headers show in the handshake text (for logs), never among the request's headers.
    for (const name of Object.keys(this.request.headers)) if (name.startsWith(':')) delete this.request.headers[name];
  }

  get request(): ServerHandshake['request'] {
    return this.inner.request;
  }

  /** The request as text: "CONNECT /path HTTP/2", then pseudo-headers and headers, one a line. */
  get head(): string {
    return this.inner.head;
  }

  /** RFC 8441 §4 and RFC 6455 §4.2.1 as they apply over HTTP/2, and the route's Origin list: the refusal to send, or null. */
  check(): Refusal | null {
    const { method, protocol, scheme, path, authority } = this.pseudo;
    if (method !== 'CONNECT') return refusal(405, 'WebSockets over HTTP/2 open with an extended CONNECT (RFC 8441 §4)');
    if (protocol === undefined) return refusal(405, 'a CONNECT without :protocol is a proxy request, which this server does not serve');
    if (protocol !== 'websocket') return refusal(501, `unsupported :protocol ${JSON.stringify(protocol)}: this endpoint speaks websocket`);
    if (scheme === undefined || path === undefined || path === '') return refusal(400, 'an extended CONNECT needs :scheme and :path (RFC 8441 §4)');
    if (authority === undefined || authority === '') return refusal(400, 'an extended CONNECT needs :authority (RFC 8441 §4)');
    const h = this.request.headers;
    if (h['sec-websocket-version'] !== '13') {
      return refusal(400, 'unsupported Sec-WebSocket-Version: this server speaks 13 (RFC 6455 §4.4, RFC 8441 §5)', [['sec-websocket-version', '13']]);
    }
    return checkOffer(h, this.options.origins);
  }

  /**
   * The 200 answer for a request `check()` passed (RFC 8441 §5): the first of
   * our subprotocols the client offered, and permessage-deflate if offered
   * and on. `headers` are extra response headers (from `authorize`); those
   * HTTP/2 forbids (Connection, Upgrade…) are a TypeError, as reserved ones are.
   */
  accept(headers?: Record<string, unknown>): StreamAgreement {
    const extra = checkHeaders(headers);
    for (const [name] of extra) {
      const lower = name.toLowerCase();
      if (ACCEPT_RESERVED.has(lower)) throw new TypeError(`header ${name} is set by the WebSocket handshake and cannot be overridden`);
      if (CONNECTION_SPECIFIC.has(lower)) throw new TypeError(`header ${name} is connection-specific, which HTTP/2 forbids (RFC 9113 §8.2.2)`);
    }
    const h = this.request.headers;
    const protocol = selectProtocol(parseProtocolHeader(h['sec-websocket-protocol']), this.options.protocols ?? []);
    const negotiated = this.options.deflate === null ? null : negotiateOffer(h['sec-websocket-extensions'], this.options.deflate);
    const lines: Array<[string, string]> = [];
    if (negotiated !== null) lines.push(['sec-websocket-extensions', negotiated.response]);
    if (protocol !== '') lines.push(['sec-websocket-protocol', protocol]);
    for (const [name, value] of extra) lines.push([name.toLowerCase(), value]);
    return {
      headers: headerObject(lines),
      extensions: negotiated?.response ?? '',
      protocol,
      deflate: negotiated?.params ?? null,
      request: this.request,
      handshake: { request: this.head, response: [':status: 200', ...lines.map(([n, v]) => `${n}: ${v}`)].join('\r\n') },
    };
  }
}

/**
 * A refusal as HTTP/2 response headers: `:status` and the refusal's own
 * headers, lower-cased, without the connection-specific ones HTTP/2 forbids
 * (a 426's `Upgrade`), which would make node:http2 throw and the peer reset.
 */
export function refusalHeaders(refused: Refusal): Record<string, string | string[] | number> {
  const lines: Array<[string, string]> = [];
  for (const [name, value] of refused.headers) if (!CONNECTION_SPECIFIC.has(name.toLowerCase())) lines.push([name.toLowerCase(), value]);
  if (!lines.some(([name]) => name === 'content-type')) lines.unshift(['content-type', 'text/plain; charset=utf-8']);
  return { ':status': refused.status, ...headerObject(lines) };
}

function headerObject(lines: ReadonlyArray<readonly [string, string]>): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = {};
  for (const [name, value] of lines) {
    const previous = result[name];
    result[name] = previous === undefined ? value : Array.isArray(previous) ? [...previous, value] : [previous, value];
  }
  return result;
}

export interface ConnectRequestOptions {
  /** `:authority`: host, with the port when it is not the scheme's default. */
  authority: string;
  /** `:path`: path and query. */
  path: string;
  /** `:scheme`: "https" for wss://, "http" for ws:// (RFC 8441 §5). */
  scheme: 'https' | 'http';
  /** The caller's extra headers; Host becomes :authority. */
  headers?: Record<string, unknown> | null;
  protocols?: unknown;
  deflate?: DeflateOptions | null;
}

/**
 * The client's side (RFC 8441 §4, §5): the request's header block, then
 * the server's response headers decide. There is no key to check: a 2xx
 * accepts (§5), anything else is a refusal whose body the caller reads.
 * Everything a client must fail the connection for throws a HandshakeError.
 */
export class ExtendedConnectRequest {
  /** The header block to send, pseudo-headers first. */
  readonly headers: Record<string, string | string[]>;
  /** The request as text, for `ws.handshake.request`. */
  readonly requestHead: string;
  readonly protocols: readonly string[];
  private readonly deflate: DeflateOptions | null;

  /** Throws a TypeError for bad headers or subprotocols: nothing has been sent. */
  constructor(options: ConnectRequestOptions) {
    const user = checkHeaders(options.headers);
    this.protocols = checkProtocols(options.protocols);
    this.deflate = options.deflate ?? null;
    let authority = options.authority;
    const lines: Array<[string, string]> = [
      [':method', 'CONNECT'], [':protocol', 'websocket'], [':scheme', options.scheme], [':path', options.path],
    ];
    const rest: Array<[string, string]> = [['sec-websocket-version', '13']];
    if (this.deflate !== null) rest.push(['sec-websocket-extensions', clientOffer(this.deflate)]);
    if (this.protocols.length > 0) rest.push(['sec-websocket-protocol', this.protocols.join(', ')]);
    for (const [name, value] of user) {
      const lower = name.toLowerCase();
      if (lower === 'host') authority = value; // HTTP/2 carries Host as :authority (RFC 9113 §8.3.1)
      else if (CONNECTION_SPECIFIC.has(lower)) throw new TypeError(`header ${name} is connection-specific, which HTTP/2 forbids (RFC 9113 §8.2.2)`);
      else rest.push([lower, value]);
    }
    lines.push([':authority', authority], ...rest);
    this.headers = headerObject(lines);
    this.requestHead = lines.map(([name, value]) => `${name}: ${value}`).join('\r\n');
  }

  /**
   * Reads the response headers: a 2xx is accepted (checked as RFC 6455
   * §4.1 checks a 101, minus Sec-WebSocket-Accept), anything else is null:
   * a refusal, whose body the caller reads and hands to `refused`.
   */
  receiveResponse(headers: Http2Headers): Accepted | null {
    const response = responseOf(headers);
    if (response.status < 200 || response.status > 299) return null;
    const protocol = response.headers.get('sec-websocket-protocol');
    if (protocol !== undefined && !this.protocols.includes(protocol)) {
      throw new HandshakeError(`the server chose subprotocol ${JSON.stringify(protocol)}, which we did not offer (RFC 6455 §4.1)`);
    }
    const header = response.headers.get('sec-websocket-extensions');
    const deflate = acceptedExtensions(header, this.deflate);
    return { accepted: true, response, protocol: protocol ?? '', extensions: deflate === null ? '' : header!, deflate, rest: Buffer.alloc(0) };
  }
}

/** Response headers as the handshake reports them: status, lower-cased headers joined with ", ", and the block as text. */
export function responseOf(headers: Http2Headers): HandshakeResponse {
  const status = Number(headers[':status']);
  const map = new Map<string, string>();
  const lines = [`:status: ${status}`];
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(':') || value === undefined) continue;
    const text = one(value)!;
    map.set(name, text);
    lines.push(`${name}: ${text}`);
  }
  return { status, reason: '', headers: map, head: lines.join('\r\n') };
}
