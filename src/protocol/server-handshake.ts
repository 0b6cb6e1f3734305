import { acceptKey, checkHeaders, hasToken, isValidKey, type PeerCertificate, type RequestInfo } from './handshake.js';
import { negotiateOffer, type DeflateOptions, type DeflateParams } from './deflate.js';
import { isToken } from './extensions.js';
import { parseProtocolHeader, selectProtocol } from './subprotocols.js';
import { RequestRecord, addHeader } from './request-info.js';

/**
 * The server's side of the opening handshake (RFC 6455 §4.2) without I/O,
 * after python-websockets' ServerProtocol.accept/reject: it reads a parsed
 * request head, checks it, negotiates permessage-deflate and the subprotocol
 * in one place, and gives back the bytes to write and what was agreed.
 */

/** A request head as an HTTP parser hands it over. */
export interface RequestHead {
  method: string;
  /** "1.1", "1.0". */
  httpVersion: string;
  /** The request-target: path and query. */
  url: string;
  /** Header lines in arrival order, flat: name, value, name, value… (node:http's rawHeaders). */
  rawHeaders: readonly string[];
  /** "host:port" of the peer. */
  remoteAddress: string;
  certificate?: PeerCertificate;
}

/** What a route accepts: its subprotocols (in order of preference) and allowed Origins. */
export interface RoutePolicy {
  protocols?: readonly string[];
  /** Allowed Origin values; when set, any other Origin, or none, is refused with 403. */
  origins?: ReadonlyArray<string | RegExp>;
}

export interface ServerHandshakeOptions extends RoutePolicy {
  /** permessage-deflate settings, or null when the server does not offer it. */
  deflate: DeflateOptions | null;
}

/** An HTTP answer refusing the upgrade. `reason` is for logs and errors; `body` is what the client reads. */
export interface Refusal {
  status: number;
  reason: string;
  headers: Array<[string, string]>;
  body: string | Uint8Array;
}

/** What both sides agreed on, handed to the connection. */
export interface Agreement {
  /** The 101 response to write. */
  response: Buffer;
  /** Sec-WebSocket-Extensions as answered, or "". */
  extensions: string;
  /** The chosen subprotocol, or "". */
  protocol: string;
  deflate: DeflateParams | null;
  request: RequestInfo;
  /** Request and response heads as text, without the blank line. */
  handshake: { readonly request: string; readonly response: string };
}

/**
 * The opening handshake as text (`ws.handshake` on a server connection):
 * the request head is the request record's own string, and the 101 head is
 * made again when first read, from the client's key and what was agreed. An
 * idle connection then keeps a few references, not a second head as text.
 */
export class HandshakeText {
  private made: string | null = null;

  constructor(
    private readonly record: RequestRecord,
    /** The agreed Sec-WebSocket-Extensions and subprotocol, "" for none (the connection keeps the same strings). */
    private readonly extensions: string,
    private readonly protocol: string,
    /** `authorize`'s extra response headers, null for none. */
    private readonly extra: ReadonlyArray<readonly [string, string]> | null,
  ) {}

  get request(): string {
    return this.record.head;
  }

  get response(): string {
    this.made ??= switchingProtocolsHead(this.record.headers['sec-websocket-key']!, responseLines(this.extensions, this.protocol, this.extra ?? []));
    return this.made;
  }

  /** What JSON.stringify and console.log show: both heads, as a plain record would have them. */
  toJSON(): { request: string; response: string } {
    return { request: this.request, response: this.response };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): { request: string; response: string } {
    return this.toJSON();
  }
}

/** The 101's lines beyond the handshake's own: the agreed extension and subprotocol, then `authorize`'s headers. */
function responseLines(extensions: string, protocol: string, extra: ReadonlyArray<readonly [string, string]>): Array<readonly [string, string]> {
  const lines: Array<readonly [string, string]> = [];
  if (extensions !== '') lines.push(['Sec-WebSocket-Extensions', extensions]);
  if (protocol !== '') lines.push(['Sec-WebSocket-Protocol', protocol]);
  lines.push(...extra);
  return lines;
}

/** Headers the 101 sets itself, beyond those checkHeaders already keeps for the handshake. */
const ACCEPT_RESERVED = new Set(['sec-websocket-accept', 'sec-websocket-protocol']);

export class ServerHandshake {
  readonly request: RequestInfo;
  private readonly record: RequestRecord;
  /** The headers the checks read, for the handshake only (the connection keeps `request`). */
  private readonly headers: Record<string, string>;
  /** The request head as text (request line and headers). */
  readonly head: string;
  private readonly httpVersion: string;
  /** Host header lines received: RFC 9112 §3.2 allows exactly one. */
  private readonly hostLines: number = 0;

  constructor(
    head: RequestHead,
    private readonly options: ServerHandshakeOptions,
  ) {
    this.httpVersion = head.httpVersion;
    // Without a prototype: a client's "constructor" or "__proto__" header is a header like any other.
    const headers: Record<string, string> = Object.create(null);
    // Lines joined once, not appended: `+=` leaves a tree of string pieces that lives as long as the connection.
    const lines = [`${head.method} ${head.url} HTTP/${head.httpVersion}`];
    for (let i = 0; i + 1 < head.rawHeaders.length; i += 2) {
      const name = head.rawHeaders[i];
      const value = head.rawHeaders[i + 1];
      lines.push(`${name}: ${value}`);
      if (name.toLowerCase() === 'host') this.hostLines++;
      addHeader(headers, name, value);
    }
    this.headers = headers;
    this.head = lines.join('\r\n');
    const target = originForm(head.url);
    // RFC 9112 §3.2.2: with an absolute-form target, its authority replaces whatever Host says.
    if (target.authority !== null) headers.host = target.authority;
    // What the connection keeps: the head as text; its headers and query are made again only if read.
    this.request = this.record = new RequestRecord(this.head, {
      method: head.method,
      target: target.path,
      host: target.authority,
      remoteAddress: head.remoteAddress,
      certificate: head.certificate,
    });
  }

  /**
   * The checks of §4.2.1 and the route's Origin list. Returns the refusal
   * to send, or null when the request may go on (to `authorize`, then `accept`).
   */
  check(): Refusal | null {
    const h = this.headers;
    if (!hasToken(h.upgrade, 'websocket')) {
      // Not a WebSocket request at all: RFC 7231 §6.5.15 names the protocol this endpoint needs.
      return refusal(426, 'this endpoint needs a WebSocket upgrade (RFC 6455 §4.2.1)', [['Upgrade', 'websocket']]);
    }
    // A handshake attempt the server does not understand gets 400 (§4.2.1).
    if (this.request.method !== 'GET') return refusal(400, 'the opening handshake must be a GET request (RFC 6455 §4.2.1)');
    if (this.httpVersion !== '1.1') return refusal(400, 'the opening handshake needs HTTP/1.1 or later (RFC 6455 §4.1)');
    if (!hasToken(h.connection, 'upgrade')) return refusal(400, 'missing "Connection: Upgrade" (RFC 6455 §4.2.1)');
    if (h.host === undefined) return refusal(400, 'missing Host header (RFC 6455 §4.2.1)');
    // Two Hosts name two servers: which one is meant cannot be known, so the request is invalid (RFC 9112 §3.2, as nginx answers).
    if (this.hostLines > 1) return refusal(400, 'more than one Host header (RFC 9112 §3.2)');
    if (!isValidKey(h['sec-websocket-key'])) return refusal(400, 'missing or invalid Sec-WebSocket-Key (RFC 6455 §4.2.1)');
    if (h['sec-websocket-version'] !== '13') {
      return refusal(426, 'unsupported Sec-WebSocket-Version: this server speaks 13 (RFC 6455 §4.4)', [['Sec-WebSocket-Version', '13']]);
    }
    return checkOffer(h, this.options.origins);
  }

  /**
   * The 101 answer (§4.2.2 step 5), for a request `check()` passed: the
   * first of our subprotocols the client offered, and permessage-deflate if
   * offered and on. `headers` are extra response headers (from `authorize`).
   */
  accept(headers?: Record<string, unknown>): Agreement {
    const extra = checkHeaders(headers);
    for (const [name] of extra) {
      if (ACCEPT_RESERVED.has(name.toLowerCase())) throw new TypeError(`header ${name} is set by the WebSocket handshake and cannot be overridden`);
    }
    const h = this.headers;
    const protocol = selectProtocol(parseProtocolHeader(h['sec-websocket-protocol']), this.options.protocols ?? []);
    const negotiated = this.options.deflate === null ? null : negotiateOffer(h['sec-websocket-extensions'], this.options.deflate);
    const extensions = negotiated?.response ?? '';
    const head = switchingProtocolsHead(h['sec-websocket-key']!, responseLines(extensions, protocol, extra));
    return {
      response: Buffer.from(`${head}\r\n\r\n`, 'latin1'),
      extensions,
      protocol,
      deflate: negotiated?.params ?? null,
      request: this.request,
      handshake: new HandshakeText(this.record, extensions, protocol, extra.length === 0 ? null : extra),
    };
  }
}

/** An absolute-form target's scheme and authority: "http://host:port" (RFC 9112 §3.2.2). */
const ABSOLUTE_FORM = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i;

/**
 * A request-target in origin form (path and query), and the authority when
 * it came in absolute form, which a server MUST accept (RFC 9112 §3.2.2):
 * `GET http://host/echo HTTP/1.1` asks for /echo on host.
 */
export function originForm(target: string): { path: string; authority: string | null } {
  const match = ABSOLUTE_FORM.exec(target);
  if (match === null) return { path: target, authority: null };
  const rest = target.slice(match[0].length);
  const path = rest.startsWith('/') ? rest : `/${rest}`;
  // userinfo is not part of the authority a Host header carries.
  const authority = match[1].slice(match[1].lastIndexOf('@') + 1);
  return { path: path.replace(/#.*$/, ''), authority };
}

/** The 101 head for a client's key (§4.2.2 step 5), with `headers` after the handshake's own; no blank line. */
export function switchingProtocolsHead(key: string, headers: ReadonlyArray<readonly [string, string]> = []): string {
  const lines = ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${acceptKey(key)}`];
  for (const [name, value] of headers) lines.push(`${name}: ${value}`);
  return lines.join('\r\n');
}

export const originAllowed = (origin: string | undefined, allowed: ReadonlyArray<string | RegExp>): boolean =>
  // String.search ignores a RegExp's lastIndex, so /g and /y patterns hold no state between requests.
  origin !== undefined && allowed.some((entry) => (typeof entry === 'string' ? entry === origin : origin.search(entry) !== -1));

/**
 * The checks every opening handshake makes after the version, over HTTP/1.1
 * and over HTTP/2 (RFC 8441) alike: the offered subprotocols are tokens, and
 * the Origin is one this endpoint takes.
 */
export function checkOffer(h: { 'sec-websocket-protocol'?: string; origin?: string }, origins: ServerHandshakeOptions['origins']): Refusal | null {
  if (!parseProtocolHeader(h['sec-websocket-protocol']).every(isToken)) {
    return refusal(400, 'invalid Sec-WebSocket-Protocol: each subprotocol must be a token (RFC 6455 §4.1)');
  }
  if (origins !== undefined && !originAllowed(h.origin, origins)) {
    // §4.2.2 step 4: a server that checks Origin answers a disallowed one with 403.
    return refusal(403, h.origin === undefined ? 'this endpoint needs an Origin header' : `origin ${h.origin} is not allowed`);
  }
  return null;
}

export function refusal(status: number, reason: string, headers: Array<[string, string]> = []): Refusal {
  return { status, reason, headers, body: `${reason}\n` };
}

/** The bytes of a refusal: `Connection: close`, since the server closes once it is written. */
export function encodeRefusal(refused: Refusal): Buffer {
  const body = typeof refused.body === 'string' ? Buffer.from(refused.body) : refused.body;
  let head = `HTTP/1.1 ${refused.status} ${STATUS_TEXT[refused.status] ?? ''}\r\nConnection: close\r\n`;
  if (!refused.headers.some(([name]) => name.toLowerCase() === 'content-type')) head += 'Content-Type: text/plain; charset=utf-8\r\n';
  for (const [name, value] of refused.headers) head += `${name}: ${value}\r\n`;
  head += `Content-Length: ${body.length}\r\n\r\n`;
  const bytes = Buffer.allocUnsafe(head.length + body.length);
  bytes.write(head, 0, 'latin1');
  bytes.set(body, head.length);
  return bytes;
}

/** What an `authorize` hook may answer. */
export type Verdict =
  | boolean
  | undefined
  | null
  | { headers?: Record<string, unknown> }
  | { status: number; headers?: Record<string, unknown>; body?: string | Uint8Array };

/**
 * Reads an `authorize` answer: true/undefined accept, `{ headers }` accepts
 * with those headers, false refuses with 403, `{ status, headers, body }`
 * refuses with that answer. Anything else is the hook's bug: a TypeError.
 */
export function readVerdict(verdict: unknown): { headers?: Record<string, unknown> } | Refusal {
  if (verdict === true || verdict === undefined || verdict === null) return {};
  if (verdict === false) return refusal(403, 'refused by authorize');
  if (typeof verdict !== 'object' || Array.isArray(verdict)) {
    throw new TypeError(`authorize must return true, false, { headers } or { status, headers, body }, not ${typeof verdict}`);
  }
  const { status, headers, body } = verdict as { status?: unknown; headers?: Record<string, unknown>; body?: unknown };
  if (status === undefined) return { headers };
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 300 || status > 599) {
    throw new TypeError(`authorize refused with status ${String(status)}: a refusal needs a status from 300 to 599`);
  }
  if (body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array)) {
    throw new TypeError('authorize refused with a body that is neither a string nor bytes');
  }
  const reason = `refused by authorize with ${status}`;
  return { status, reason, headers: checkHeaders(headers), body: body ?? `${STATUS_TEXT[status] ?? reason}\n` };
}

export const isRefusal = (value: object): value is Refusal => 'status' in value;

const STATUS_TEXT: Record<number, string> = {
  301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 307: 'Temporary Redirect', 308: 'Permanent Redirect',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict',
  426: 'Upgrade Required', 429: 'Too Many Requests', 431: 'Request Header Fields Too Large',
  500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};
