import net from 'node:net';
import { HandshakeError, HeadReader, parseResponseHead, type ResponseHead } from '../protocol/handshake.js';
import { HeadScanner } from '../protocol/head-scanner.js';
import { ConnectError, describeSocketError } from './connect-error.js';
import { exchange, opened, type AnswerParser } from './socket-steps.js';
import { socksCredentials } from './socks5.js';

/** Where a connection goes: the origin server, as the proxy must reach it. */
export interface ProxyTarget {
  secure: boolean;
  /** Host name or IP address, IPv6 without brackets. */
  host: string;
  port: number;
}

type Env = Record<string, string | undefined>;

/** The first set of a variable, lower-case spelling first (curl and undici read it that way). */
const envValue = (env: Env, name: string): string | undefined => {
  const value = env[name.toLowerCase()] ?? env[name.toUpperCase()];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
};

/** http:// asks for a tunnel with CONNECT; socks5:// and socks5h:// (the same here: the proxy resolves names) speak SOCKS5. */
const PROXY_SCHEMES = new Set(['http:', 'socks5:', 'socks5h:']);

/**
 * Checks a proxy URL: http:// (CONNECT; the connection to the proxy is plain
 * TCP, as with curl's default) or socks5://, with an optional user:password.
 * A value without a scheme ("proxy.corp:3128", common in *_proxy variables)
 * is read as http://.
 */
export function parseProxyUrl(value: unknown, what = 'proxy'): URL {
  if (typeof value !== 'string' && !(value instanceof URL)) {
    throw new TypeError(`${what} must be an http:// URL string or false, not ${value === null ? 'null' : typeof value}`);
  }
  const text = String(value);
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`);
  } catch {
    // Not chained: the URL's TypeError carries the input, password included.
    throw new TypeError(`${what} is not a valid URL: ${JSON.stringify(withoutCredentials(text))}`);
  }
  if (!PROXY_SCHEMES.has(url.protocol)) throw new TypeError(`${what} must be an http:// (CONNECT) or socks5:// proxy, not ${url.protocol}//`);
  if (url.hostname === '') throw new TypeError(`${what} has no host: ${JSON.stringify(withoutCredentials(text))}`);
  if (url.protocol === 'http:') proxyCredentials(url, what);
  else socksCredentials(url, what);
  return url;
}

/** A URL as text for a message: its user:password never shown. */
function withoutCredentials(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)?[^@/?#]*@/i, (_, scheme: string | undefined) => `${scheme ?? ''}***@`);
}

/**
 * The proxy URL's "user:password", percent-decoded, or null when it has
 * none. Checked when the URL is, before any socket is opened; a bad escape
 * is a TypeError that does not repeat what it could not decode.
 */
export function proxyCredentials(url: URL, what = 'proxy'): string | null {
  if (url.username === '' && url.password === '') return null;
  try {
    return `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  } catch {
    throw new TypeError(`${what}: the user name or password has an invalid %-escape (write a literal "%" as %25)`);
  }
}

/**
 * Whether NO_PROXY exempts a host, as curl reads it (and undici, for what
 * they share): "*" exempts all; entries are separated by commas or spaces;
 * "example.com", ".example.com" and "*.example.com" all cover example.com
 * and its subdomains; "host:port" only that port; IP addresses match exactly
 * ("[::1]" or "::1"). CIDR ranges are not supported.
 */
export function bypassesProxy(noProxy: string | undefined, host: string, port: number): boolean {
  if (noProxy === undefined) return false;
  const name = host.toLowerCase().replace(/\.$/, '');
  for (const raw of noProxy.split(/[,\s]+/)) {
    let entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    let entryPort = 0;
    const withPort = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(entry);
    if (withPort) {
      entry = withPort[1];
      entryPort = Number(withPort[2]);
    }
    if (entryPort !== 0 && entryPort !== port) continue;
    entry = entry.replace(/^\[(.*)\]$/, '$1').replace(/^\*?\./, '').replace(/\.$/, '');
    if (name === entry || (net.isIP(name) === 0 && name.endsWith(`.${entry}`))) return true;
  }
  return false;
}

/**
 * The proxy for a connection: the `proxy` option when given (false: none);
 * otherwise https_proxy/HTTPS_PROXY for wss://, http_proxy/HTTP_PROXY for
 * ws://, else all_proxy/ALL_PROXY, unless no_proxy/NO_PROXY exempts the
 * host. Null means connect directly.
 */
export function proxyFor(target: ProxyTarget, option: unknown, env: Env = process.env): URL | null {
  if (option === false) return null;
  if (option !== undefined) return parseProxyUrl(option);
  // ALL_PROXY when the scheme's own variable is unset, as curl reads it.
  const name = [target.secure ? 'https_proxy' : 'http_proxy', 'all_proxy'].find((candidate) => envValue(env, candidate) !== undefined);
  if (name === undefined || bypassesProxy(envValue(env, 'no_proxy'), target.host, target.port)) return null;
  return parseProxyUrl(envValue(env, name), name.toUpperCase());
}

/** "host:port" for CONNECT and Host, IPv6 in brackets (RFC 9110 §9.3.6: the authority form). */
const authority = (host: string, port: number): string => `${net.isIPv6(host) ? `[${host}]` : host}:${port}`;

/** The proxy's answer to CONNECT: its head, checked as it arrives. */
class ProxyAnswer implements AnswerParser<ResponseHead & { rest: Buffer }> {
  private readonly head = new HeadReader();
  private readonly scanner = new HeadScanner();

  constructor(private readonly where: string) {}

  receiveData(chunk: Buffer): (ResponseHead & { rest: Buffer }) | null {
    this.scanner.scan(chunk);
    const done = this.head.push(chunk);
    return done === null ? null : { ...parseResponseHead(done.head), rest: done.rest };
  }

  receiveEof(): never {
    throw new ConnectError(`${this.where}closed the connection before answering CONNECT`, 'ERR_PROXY');
  }
}

/**
 * Connects to the proxy and asks it for a tunnel to the target (HTTP
 * CONNECT, RFC 9110 §9.3.6); resolves with the socket once the proxy
 * answers 2xx, after which bytes flow to the target unchanged.
 */
export async function openTunnel(proxy: URL, target: ProxyTarget, signal: AbortSignal): Promise<net.Socket> {
  const proxyHost = proxy.hostname.replace(/^\[(.*)\]$/, '$1');
  const proxyPort = proxy.port === '' ? 80 : Number(proxy.port);
  const where = `proxy ${authority(proxyHost, proxyPort)}: `;
  const address = authority(target.host, target.port);
  let request = `CONNECT ${address} HTTP/1.1\r\nHost: ${address}\r\n`;
  // Before the socket exists: a throw here must leave nothing open.
  const credentials = proxyCredentials(proxy);
  if (credentials !== null) request += `Proxy-Authorization: Basic ${Buffer.from(credentials).toString('base64')}\r\n`;
  const socket = net.connect({ host: proxyHost, port: proxyPort });
  socket.setNoDelay(true);
  try {
    await opened(socket, 'connect', signal);
    const answer = await exchange(socket, Buffer.from(`${request}\r\n`, 'latin1'), new ProxyAnswer(where), signal);
    if (answer.status < 200 || answer.status > 299) {
      socket.destroy();
      throw new ConnectError(`proxy answered ${answer.status}${answer.reason ? ` ${answer.reason}` : ''}`, 'ERR_PROXY', {
        refusal: { status: answer.status, headers: Object.fromEntries(answer.headers), body: Buffer.alloc(0) },
      });
    }
    if (answer.rest.length > 0) socket.unshift(answer.rest);
    return socket;
  } catch (error) {
    if (error instanceof ConnectError) throw error;
    if (error instanceof HandshakeError) throw new ConnectError(`${where}invalid answer to CONNECT: ${error.message}`, 'ERR_PROXY', { cause: error });
    throw describeSocketError(error as NodeJS.ErrnoException, { tls: false, where });
  }
}
