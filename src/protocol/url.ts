import { ConnectError } from './connect-error.js';

/** Where a ws:// or wss:// URL points, as the opening handshake needs it (RFC 6455 §3, §4.1). */
export interface Target {
  secure: boolean;
  host: string;
  port: number;
  hostHeader: string;
  resource: string;
}

/** Checks the URL (§3): ws or wss, a host, a valid port, no fragment. */
export function parseWebSocketUrl(input: string | URL): Target {
  if (typeof input !== 'string' && !(input instanceof URL)) {
    throw new TypeError(`websocket connect failed: the URL must be a ws:// or wss:// string (or a URL), not ${input === null ? 'null' : typeof input}`);
  }
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
