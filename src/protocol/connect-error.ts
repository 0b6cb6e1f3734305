/**
 * Every `code` a ConnectError can carry (the README has the table). Node's
 * own error, when there is one, is the `cause`.
 */
export type ConnectErrorCode =
  /** The URL is not a valid ws:// or wss:// URL. */
  | 'ERR_INVALID_URL'
  /** DNS: no such host, or the lookup failed for now. */
  | 'ENOTFOUND' | 'EAI_AGAIN'
  /** TCP: refused, reset, unreachable; ECONNRESET also when the server closes mid-handshake. */
  | 'ECONNREFUSED' | 'ECONNRESET' | 'EHOSTUNREACH' | 'ENETUNREACH'
  /** The `timeout` ran out (DNS, TCP, proxy, TLS and the handshake together). */
  | 'ETIMEDOUT'
  /** Any other socket error. */
  | 'ERR_CONNECT'
  /** The TLS handshake failed: certificate, hostname, protocol version… */
  | 'ERR_TLS'
  /** The proxy refused CONNECT (`status` set), answered garbage or closed. */
  | 'ERR_PROXY'
  /** The server answered something other than 101 (`status`, `headers`, `body` set). */
  | 'ERR_UNEXPECTED_STATUS'
  /** The server's 101 answer breaks RFC 6455 §4.1 or HTTP (bad accept key, subprotocol, extension, framing). */
  | 'ERR_HANDSHAKE'
  /** A redirect went past `maxRedirects`, had no usable Location, or went from wss:// to ws://. */
  | 'ERR_REDIRECT'
  /** Asked for what this client does not do (yet), refused before anything is sent: HTTP/2 in the synchronous API, redirects over HTTP/2. */
  | 'ERR_UNSUPPORTED';

/** The answer that made a connection fail, when there was one (python-websockets' `InvalidStatus.response`). */
export interface RefusalDetails {
  status: number;
  /** Lower-cased names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** Up to 4 KiB of the body; empty for a proxy's answer. */
  body: Buffer;
}

/** What went wrong while connecting, as `websocket connect failed: <why>`. */
export class ConnectError extends Error {
  override name = 'ConnectError';
  /** The HTTP status of a refusal (by the server or the proxy); undefined when nobody answered. */
  readonly status?: number;
  readonly headers?: Record<string, string>;
  readonly body?: Buffer;

  constructor(why: string, readonly code: ConnectErrorCode, options: { cause?: unknown; refusal?: RefusalDetails } = {}) {
    // Only a real cause: `{ cause: undefined }` would still create the property.
    super(`websocket connect failed: ${why}`, options.cause === undefined ? undefined : { cause: options.cause });
    if (options.refusal) {
      this.status = options.refusal.status;
      this.headers = options.refusal.headers;
      this.body = options.refusal.body;
    }
  }
}
