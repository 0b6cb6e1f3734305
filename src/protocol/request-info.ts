import type { PeerCertificate, RequestInfo } from './handshake.js';

/**
 * Adds one header to a name → value record: lower-cased names, repeats
 * joined as RFC 9110 §5.3 allows (RFC 6265 §5.4: cookies with "; ").
 */
export function addHeader(headers: Record<string, string>, name: string, value: string): void {
  const key = name.toLowerCase();
  const previous = headers[key];
  headers[key] = previous === undefined ? value : `${previous}${key === 'cookie' ? '; ' : ', '}${value}`;
}

/** The query string's parameters (the last value of a repeated one), in an object without a prototype. */
export function parseQuery(url: string): Record<string, string> {
  const query: Record<string, string> = Object.create(null);
  const q = url.indexOf('?');
  if (q !== -1) for (const [name, value] of new URLSearchParams(url.slice(q + 1))) query[name] = value;
  return query;
}

/**
 * The opening request as a server connection keeps it for its lifetime
 * (`ws.request`): the head as one string, bounded by the server's
 * maxHeadSize, and `headers` and `query` made from it when first read. An
 * idle connection then costs the head's bytes, not an object of every
 * header (1,999 tiny headers cost 56 KiB as an object, 8 as text).
 * `headers` and `query` have no prototype: "constructor" or "__proto__"
 * sent by a client is a name like any other.
 */
export class RequestRecord implements RequestInfo {
  readonly method: string;
  readonly path: string;
  readonly remote_addr: string;
  certificate?: PeerCertificate;
  /** Request line and header lines, CRLF-separated, without the blank line. */
  readonly head: string;
  /** Path and query in origin form. */
  private readonly target: string;
  /** An absolute-form target's authority, which replaces the Host header (RFC 9112 §3.2.2). */
  private readonly host: string | null;
  private parsedHeaders: Record<string, string> | null = null;
  private parsedQuery: Record<string, string> | null = null;

  constructor(head: string, request: { method: string; target: string; host: string | null; remoteAddress: string; certificate: PeerCertificate | undefined }) {
    this.head = head;
    this.method = request.method;
    this.target = request.target;
    this.host = request.host;
    const q = request.target.indexOf('?');
    this.path = q === -1 ? request.target : request.target.slice(0, q);
    this.remote_addr = request.remoteAddress;
    if (request.certificate !== undefined) this.certificate = request.certificate;
  }

  /** Lower-cased names; repeated headers joined with ", " (cookies with "; "). */
  get headers(): Record<string, string> {
    if (this.parsedHeaders === null) {
      const headers: Record<string, string> = Object.create(null);
      const lines = this.head.split('\r\n');
      for (let i = 1; i < lines.length; i++) {
        const colon = lines[i].indexOf(': ');
        addHeader(headers, lines[i].slice(0, colon), lines[i].slice(colon + 2));
      }
      if (this.host !== null) headers.host = this.host;
      this.parsedHeaders = headers;
    }
    return this.parsedHeaders;
  }

  get query(): Record<string, string> {
    this.parsedQuery ??= parseQuery(this.target);
    return this.parsedQuery;
  }

  /** What JSON.stringify and console.log show: the fields of RequestInfo, as a plain record would have them. */
  toJSON(): RequestInfo {
    const info: RequestInfo = { method: this.method, path: this.path, query: this.query, headers: this.headers, remote_addr: this.remote_addr };
    if (this.certificate !== undefined) info.certificate = this.certificate;
    return info;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): RequestInfo {
    return this.toJSON();
  }
}
