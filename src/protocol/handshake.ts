import { createHash, randomBytes } from 'node:crypto';
import { isToken } from './extensions.js';

/** RFC 6455 §1.3: appended to the key before hashing. */
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export const DEFAULT_MAX_HEAD_SIZE = 16 * 1024;

/** The handshake went wrong; `status` is the HTTP answer a server gives for it. */
export class HandshakeError extends Error {
  override name = 'HandshakeError';
  constructor(
    message: string,
    readonly status = 400,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Sec-WebSocket-Accept for a key (§4.2.2 step 5.4). */
export const acceptKey = (key: string): string => createHash('sha1').update(key + GUID).digest('base64');

/** A fresh Sec-WebSocket-Key: 16 random bytes, base64 (§4.1). */
export const generateKey = (): string => randomBytes(16).toString('base64');

const KEY_SYNTAX = /^[A-Za-z0-9+/]{22}==$/;

/** Whether a Sec-WebSocket-Key is the base64 of exactly 16 bytes (§4.2.1 item 5). */
export const isValidKey = (key: string | undefined): boolean => key !== undefined && KEY_SYNTAX.test(key);

/** Header values may hold tab, visible ASCII and obs-text, never CR, LF, NUL or other controls (RFC 7230 §3.2). */
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
/** Beyond latin1: HTTP/1.1 heads are bytes, and node:http refuses these too. */
const BEYOND_LATIN1 = /[^\x00-\xff]/;

/** Headers the handshake sets itself; a caller overriding them would break it. */
const RESERVED_HEADERS = new Set(['upgrade', 'connection', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions', 'content-length', 'transfer-encoding']);

/**
 * Headers that must appear at most once: two Host headers make the request
 * invalid (RFC 9112 §3.2), and a server may read either of two Origins or
 * Authorizations. node:http keeps only one of these.
 */
const SINGLE_HEADERS = new Set(['host', 'origin', 'authorization', 'proxy-authorization', 'user-agent', 'referer', 'from', 'cookie']);

/**
 * Checks caller-supplied handshake headers before anything is sent, so
 * header injection (CR/LF in a value, a name that is not a token) is refused
 * instead of reaching the wire. Returns them as [name, value] pairs.
 */
export function checkHeaders(headers: Record<string, unknown> | undefined | null): Array<[string, string]> {
  if (headers === undefined || headers === null) return [];
  if (typeof headers !== 'object' || Array.isArray(headers)) throw new TypeError('headers must be an object of name → value');
  const result: Array<[string, string]> = [];
  const seen = new Set<string>();
  for (const [name, raw] of Object.entries(headers)) {
    if (!isToken(name)) throw new TypeError(`invalid header name ${JSON.stringify(name)}: must be an HTTP token`);
    const lower = name.toLowerCase();
    if (RESERVED_HEADERS.has(lower)) throw new TypeError(`header ${name} is set by the WebSocket handshake and cannot be overridden`);
    if (lower === 'sec-websocket-protocol') throw new TypeError('Sec-WebSocket-Protocol is set from the protocols option: pass { protocols: [...] } instead of the header');
    const values = Array.isArray(raw) ? raw : [raw];
    if (SINGLE_HEADERS.has(lower) && (values.length !== 1 || seen.has(lower))) {
      throw new TypeError(`header ${name} must have exactly one value`);
    }
    seen.add(lower);
    for (const value of values) {
      if (typeof value !== 'string' && typeof value !== 'number') throw new TypeError(`header ${name} must be a string`);
      const text = String(value);
      if (BEYOND_LATIN1.test(text)) throw new TypeError(`invalid value for header ${name}: characters above U+00FF cannot be sent in HTTP headers (encode them, e.g. percent-encoding)`);
      if (INVALID_VALUE.test(text)) throw new TypeError(`invalid value for header ${name}: CR, LF, NUL and other control characters are not allowed`);
      result.push([name, text]);
    }
  }
  return result;
}

export interface ClientRequestOptions {
  /** Value for Host; default from the URL, with the port when it is not the scheme's default. */
  host: string;
  /** Path and query, "/" at least (§4.1 item 3). */
  resource: string;
  key: string;
  /** Sec-WebSocket-Extensions offer, if any. */
  extensions?: string;
  /** Subprotocols offered in Sec-WebSocket-Protocol (§4.1 item 10), already checked. */
  protocols?: readonly string[];
  headers?: Array<[string, string]>;
}

/** The client's opening handshake request (§4.1). */
export function buildClientRequest(options: ClientRequestOptions): string {
  const user = options.headers ?? [];
  const has = (name: string) => user.some(([n]) => n.toLowerCase() === name);
  let head = `GET ${options.resource} HTTP/1.1\r\n`;
  if (!has('host')) head += `Host: ${options.host}\r\n`;
  head += 'Upgrade: websocket\r\nConnection: Upgrade\r\n';
  head += `Sec-WebSocket-Key: ${options.key}\r\nSec-WebSocket-Version: 13\r\n`;
  if (options.extensions) head += `Sec-WebSocket-Extensions: ${options.extensions}\r\n`;
  if (options.protocols && options.protocols.length > 0) head += `Sec-WebSocket-Protocol: ${options.protocols.join(', ')}\r\n`;
  for (const [name, value] of user) head += `${name}: ${value}\r\n`;
  return head + '\r\n';
}

export interface ResponseHead {
  status: number;
  reason: string;
  /** Lower-cased names; repeated headers joined with ", " as RFC 7230 §3.2.2 allows. */
  headers: Map<string, string>;
}

/** Parses an HTTP/1.1 response head (the text before the blank line). */
export function parseResponseHead(head: string): ResponseHead {
  const lines = head.split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(lines[0]);
  if (!match) throw new HandshakeError(`invalid HTTP status line ${JSON.stringify(lines[0].slice(0, 80))}`);
  const headers = new Map<string, string>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    if (!isToken(name)) throw new HandshakeError(`invalid HTTP header line ${JSON.stringify(line.slice(0, 80))}`);
    const value = line.slice(colon + 1).trim();
    const key = name.toLowerCase();
    const previous = headers.get(key);
    headers.set(key, previous === undefined ? value : `${previous}, ${value}`);
  }
  return { status: Number(match[1]), reason: match[2] ?? '', headers };
}

/** Whether a comma-separated header value lists `token` (case-insensitive, RFC 7230 §7). */
export const hasToken = (list: string | undefined, token: string): boolean =>
  list !== undefined && list.split(',').some((item) => item.trim().toLowerCase() === token);

/**
 * The client's checks on the server's answer (§4.1, "the client MUST fail
 * the WebSocket connection" items 1–6). Extensions are checked by the caller.
 */
export function checkServerResponse(response: ResponseHead, key: string, requestedProtocols: readonly string[] = []): void {
  if (response.status !== 101) {
    throw new HandshakeError(`unexpected HTTP status ${response.status}${response.reason ? ` ${response.reason}` : ''}`);
  }
  const h = response.headers;
  if (!hasToken(h.get('upgrade'), 'websocket')) throw new HandshakeError('the response has no "Upgrade: websocket" header (RFC 6455 §4.1)');
  if (!hasToken(h.get('connection'), 'upgrade')) throw new HandshakeError('the response has no "Connection: Upgrade" header (RFC 6455 §4.1)');
  if (h.get('sec-websocket-accept') !== acceptKey(key)) throw new HandshakeError('bad Sec-WebSocket-Accept: it does not match our key (RFC 6455 §4.1)');
  const protocol = h.get('sec-websocket-protocol');
  if (protocol !== undefined && !requestedProtocols.includes(protocol)) {
    throw new HandshakeError(`the server chose subprotocol ${JSON.stringify(protocol)}, which we did not offer (RFC 6455 §4.1)`);
  }
}

/**
 * Collects an HTTP head from a byte stream, bounded so a hostile peer can
 * neither trickle an endless head nor make us buffer one without limit.
 */
export class HeadReader {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly maxSize = DEFAULT_MAX_HEAD_SIZE) {}

  /** Returns the head and the bytes after it once the blank line arrives; null until then. */
  push(chunk: Buffer): { head: string; rest: Buffer } | null {
    const searchFrom = Math.max(0, this.size - 3);
    this.chunks.push(chunk);
    this.size += chunk.length;
    const all = this.chunks.length === 1 ? chunk : Buffer.concat(this.chunks, this.size);
    if (this.chunks.length > 1) this.chunks = [all];
    const end = all.indexOf('\r\n\r\n', searchFrom, 'latin1');
    if (end === -1) {
      if (this.size > this.maxSize) throw new HandshakeError(`HTTP head longer than ${this.maxSize} bytes`, 431);
      return null;
    }
    if (end + 4 > this.maxSize) throw new HandshakeError(`HTTP head longer than ${this.maxSize} bytes`, 431);
    return { head: all.toString('latin1', 0, end), rest: all.subarray(end + 4) };
  }
}

/**
 * What a server learns of an opening handshake request, as handed to an
 * `authorize` hook and kept as `ws.request`: the binding shows it as is.
 */
export interface RequestInfo {
  method: string;
  /** The path without the query string. */
  path: string;
  /** The query string's parameters (the last value of a repeated one). */
  query: Record<string, string>;
  /** Lower-cased names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** "host:port" of the peer, "[v6]:port" for IPv6. */
  remote_addr: string;
  /** wss:// servers with `tls.requestCert`: the certificate the client presented, if any. */
  certificate?: PeerCertificate;
}

/** A client's TLS certificate, as much of node:tls' getPeerCertificate() as a check needs. */
export interface PeerCertificate {
  /** Distinguished name parts, e.g. { CN: 'alice', O: 'Example' }. */
  subject: Record<string, string | string[] | undefined>;
  issuer: Record<string, string | string[] | undefined>;
  valid_from: string;
  valid_to: string;
  serialNumber: string;
  /** SHA-256 fingerprint, "AB:CD:…". */
  fingerprint256: string;
  /** Whether TLS verified it against the server's trusted CAs (false only when `rejectUnauthorized: false` let it in). */
  authorized: boolean;
}
