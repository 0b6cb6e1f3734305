import net from 'node:net';
import { ConnectError, describeSocketError } from './connect-error.js';
import { exchange, opened, type AnswerParser } from './socket-steps.js';
import { proxyCredentials, type ProxyTarget } from './proxy.js';

/**
 * A tunnel through a SOCKS5 proxy (RFC 1928), with a user name and password
 * when the URL has them (RFC 1929). The target's host name is sent as is,
 * so the proxy resolves it (curl's socks5h://): in a locked-down network the
 * proxy is usually the one that can.
 */

const VERSION = 5;
const NO_AUTH = 0x00;
const USER_PASSWORD = 0x02;
const NO_ACCEPTABLE = 0xff;
const CONNECT = 0x01;
const ATYP_IPV4 = 0x01;
const ATYP_DOMAIN = 0x03;
const ATYP_IPV6 = 0x04;

/** RFC 1928 §6 reply codes. */
const REPLY_TEXT: Record<number, string> = {
  1: 'general SOCKS server failure', 2: 'connection not allowed by ruleset', 3: 'network unreachable', 4: 'host unreachable',
  5: 'connection refused', 6: 'TTL expired', 7: 'command not supported', 8: 'address type not supported',
};

/** The SOCKS5 user name and password as bytes; each is at most 255 (RFC 1929). Checked with the proxy URL. */
export function socksCredentials(proxy: URL, what = 'proxy'): { user: Buffer; password: Buffer } | null {
  const credentials = proxyCredentials(proxy, what);
  if (credentials === null) return null;
  const colon = credentials.indexOf(':');
  const user = Buffer.from(credentials.slice(0, colon));
  const password = Buffer.from(credentials.slice(colon + 1));
  if (user.length === 0 || user.length > 255 || password.length > 255) {
    throw new TypeError(`${what}: a SOCKS5 user name is 1 to 255 bytes and a password at most 255 (RFC 1929)`);
  }
  return { user, password };
}

/** One fixed-size or self-describing answer of the SOCKS5 exchange. */
class SocksAnswer implements AnswerParser<{ answer: Buffer; rest: Buffer }> {
  private buffered: Buffer = Buffer.alloc(0);

  constructor(private readonly length: (bytes: Buffer) => number | null, private readonly where: string) {}

  receiveData(chunk: Buffer): { answer: Buffer; rest: Buffer } | null {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const needed = this.length(this.buffered);
    if (needed === null || this.buffered.length < needed) return null;
    return { answer: this.buffered.subarray(0, needed), rest: this.buffered.subarray(needed) };
  }

  receiveEof(): never {
    throw new ConnectError(`${this.where}closed the connection during the SOCKS5 handshake`, 'ERR_PROXY');
  }
}

const fixed = (size: number) => (): number => size;

/** VER REP RSV ATYP BND.ADDR BND.PORT: its length is known once ATYP (and a domain's length) has come. */
function replyLength(bytes: Buffer): number | null {
  if (bytes.length < 5) return null;
  switch (bytes[3]) {
    case ATYP_IPV4: return 4 + 4 + 2;
    case ATYP_IPV6: return 4 + 16 + 2;
    case ATYP_DOMAIN: return 4 + 1 + bytes[4] + 2;
    default: return 4; // nonsense: checked below
  }
}

/** The CONNECT request for the target: an IP address as such, a name for the proxy to resolve. */
function connectRequest(target: ProxyTarget): Buffer {
  const port = Buffer.from([target.port >> 8, target.port & 0xff]);
  const kind = net.isIP(target.host);
  let address: Buffer;
  if (kind === 4) address = Buffer.from([ATYP_IPV4, ...target.host.split('.').map(Number)]);
  else if (kind === 6) address = Buffer.concat([Buffer.from([ATYP_IPV6]), ipv6Bytes(target.host)]);
  else {
    const name = Buffer.from(target.host);
    if (name.length > 255) throw new ConnectError(`host name longer than 255 bytes cannot go through SOCKS5: ${target.host.slice(0, 40)}…`, 'ERR_PROXY');
    address = Buffer.concat([Buffer.from([ATYP_DOMAIN, name.length]), name]);
  }
  return Buffer.concat([Buffer.from([VERSION, CONNECT, 0]), address, port]);
}

function ipv6Bytes(address: string): Buffer {
  const [head, tail = ''] = address.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  let words = groups(head);
  const end = groups(tail);
  // An embedded IPv4 address ("::ffff:1.2.3.4") is two words.
  const last = (address.includes('::') ? end : words).at(-1);
  if (last !== undefined && last.includes('.')) {
    const [a, b, c, d] = last.split('.').map(Number);
    const replace = [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
    if (address.includes('::')) end.splice(-1, 1, ...replace);
    else words.splice(-1, 1, ...replace);
  }
  if (address.includes('::')) words = [...words, ...Array(8 - words.length - end.length).fill('0'), ...end];
  const bytes = Buffer.alloc(16);
  words.forEach((word, i) => bytes.writeUInt16BE(parseInt(word, 16), i * 2));
  return bytes;
}

const authority = (host: string, port: number): string => `${net.isIPv6(host) ? `[${host}]` : host}:${port}`;

/** Connects to the SOCKS5 proxy and asks it for a tunnel to the target; resolves with the socket once it has one. */
export async function openSocksTunnel(proxy: URL, target: ProxyTarget, signal: AbortSignal): Promise<net.Socket> {
  const proxyHost = proxy.hostname.replace(/^\[(.*)\]$/, '$1');
  const proxyPort = proxy.port === '' ? 1080 : Number(proxy.port);
  const where = `SOCKS5 proxy ${authority(proxyHost, proxyPort)}: `;
  // Before the socket exists: a throw here must leave nothing open.
  const credentials = socksCredentials(proxy);
  const request = connectRequest(target);
  const socket = net.connect({ host: proxyHost, port: proxyPort });
  socket.setNoDelay(true);
  const fail = (why: string): never => {
    socket.destroy();
    throw new ConnectError(`${where}${why}`, 'ERR_PROXY');
  };
  try {
    await opened(socket, 'connect', signal);
    const methods = credentials === null ? [NO_AUTH] : [NO_AUTH, USER_PASSWORD];
    const { answer: choice } = await exchange(socket, Buffer.from([VERSION, methods.length, ...methods]), new SocksAnswer(fixed(2), where), signal);
    if (choice[0] !== VERSION) fail('not a SOCKS5 proxy (wrong version in its answer)');
    if (choice[1] === NO_ACCEPTABLE) fail(credentials === null ? 'it needs a user name and password (socks5://user:password@host:port)' : 'it accepts none of our authentication methods');
    if (choice[1] === USER_PASSWORD) {
      if (credentials === null) fail('it asked for a user name and password we do not have');
      const { user, password } = credentials!;
      const login = Buffer.concat([Buffer.from([1, user.length]), user, Buffer.from([password.length]), password]);
      const { answer: status } = await exchange(socket, login, new SocksAnswer(fixed(2), where), signal);
      if (status[1] !== 0) fail('user name or password refused');
    } else if (choice[1] !== NO_AUTH) {
      fail(`it chose an authentication method we did not offer (${choice[1]})`);
    }
    const { answer: reply, rest } = await exchange(socket, request, new SocksAnswer(replyLength, where), signal);
    if (reply[0] !== VERSION || ![ATYP_IPV4, ATYP_DOMAIN, ATYP_IPV6].includes(reply[3])) fail('invalid answer to CONNECT');
    if (reply[1] !== 0) fail(`could not reach ${authority(target.host, target.port)}: ${REPLY_TEXT[reply[1]] ?? `error ${reply[1]}`}`);
    if (rest.length > 0) socket.unshift(rest);
    return socket;
  } catch (error) {
    if (error instanceof ConnectError) throw error;
    throw describeSocketError(error as NodeJS.ErrnoException, { tls: false, where });
  }
}
