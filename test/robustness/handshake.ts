/**
 * Handshake parser targets: the response head, the head reader, the
 * server's request check, the Sec-WebSocket-Extensions grammar and the
 * permessage-deflate negotiation. Each may only fail the documented way
 * (HandshakeError, SyntaxError) and its results must hold together.
 */
import { HandshakeError, HeadReader, acceptKey, checkServerResponse, isValidKey, parseResponseHead } from '../../src/protocol/handshake.js';
import { ServerHandshake } from '../../src/protocol/server-handshake.js';
import { formatExtension, isToken, parseExtensions } from '../../src/protocol/extensions.js';
import { PerMessageDeflate, acceptResponse, clientOffer, negotiateOffer, type DeflateOptions } from '../../src/protocol/deflate.js';
import { WebSocketError } from '../../src/protocol/errors.js';
import { ClientHandshake } from '../../src/protocol/client-handshake.js';
import type { Random } from './random.js';
import { FuzzFailure } from './frames.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** Runs `body`; any exception other than the `allowed` classes is a failure. */
function only<T>(allowed: Array<new (...args: never[]) => Error>, what: string, body: () => T): T | undefined {
  try {
    return body();
  } catch (error) {
    if (error instanceof FuzzFailure) throw error;
    if (allowed.some((type) => error instanceof type)) return undefined;
    throw new FuzzFailure(`${what} threw ${(error as Error)?.stack ?? String(error)}`);
  }
}

function mutateText(rng: Random, text: string): string {
  return rng.chance(0.25) ? text : rng.mutate(Buffer.from(text, 'latin1')).toString('latin1');
}

const HEADER_NAMES = ['Upgrade', 'Connection', 'Sec-WebSocket-Accept', 'Sec-WebSocket-Extensions', 'Sec-WebSocket-Protocol', 'X-Y', 'upgrade', ''];
const HEADER_VALUES = ['websocket', 'Upgrade', 'keep-alive, upgrade', acceptKey(KEY), 'permessage-deflate', 'chat', '', ' ', 'a\tb', '\x80\xff'];

export function fuzzResponseHead(rng: Random): void {
  let head = `HTTP/1.${rng.below(3)} ${rng.pick(['101', '200', '426', '1', '9999', 'abc'])}${rng.pick([' Switching Protocols', '', ' '])}`;
  for (let i = rng.below(8); i > 0; i--) {
    head += `\r\n${rng.pick(HEADER_NAMES)}${rng.pick([':', ': ', ' :', ''])}${rng.pick(HEADER_VALUES)}`;
  }
  const response = only([HandshakeError], 'parseResponseHead', () => parseResponseHead(mutateText(rng, head)));
  if (response === undefined) return;
  if (!(response.status >= 0 && response.status <= 999)) throw new FuzzFailure(`status ${response.status}`);
  for (const name of response.headers.keys()) {
    if (!isToken(name) || name !== name.toLowerCase()) throw new FuzzFailure(`header name ${JSON.stringify(name)}`);
  }
  only([HandshakeError], 'checkServerResponse', () => checkServerResponse(response, KEY, rng.chance(0.5) ? ['chat'] : []));
  only([SyntaxError, RangeError], 'acceptResponse', () => acceptResponse(response.headers.get('sec-websocket-extensions'), randomDeflateOptions(rng)));
}

/** HeadReader in random chunks against `indexOf` on the whole stream. */
export function fuzzHeadReader(rng: Random): void {
  const parts: string[] = [];
  for (let i = rng.below(12); i > 0; i--) parts.push(rng.pick(['GET / HTTP/1.1', '\r\n', '\r', '\n', 'Host: x', '\r\n\r\n', 'a'.repeat(rng.below(200))]));
  const stream = Buffer.concat([Buffer.from(parts.join(''), 'latin1'), rng.bytes(rng.below(8))]);
  const maxSize = rng.pick([16, 64, 256, 16 * 1024]);
  const end = stream.indexOf('\r\n\r\n');
  const reader = new HeadReader(maxSize);
  let pushed = 0;
  for (const chunk of rng.chunks(stream)) {
    let result: { head: string; rest: Buffer } | null;
    try {
      result = reader.push(chunk);
    } catch (error) {
      if (!(error instanceof HandshakeError) || error.status !== 431) throw new FuzzFailure(`HeadReader threw ${error}`);
      if (end !== -1 && end + 4 <= maxSize) throw new FuzzFailure(`HeadReader refused a ${end + 4}-byte head under its ${maxSize}-byte limit`);
      return;
    }
    pushed += chunk.length;
    if (result === null) continue;
    if (end === -1 || end + 4 > maxSize) throw new FuzzFailure('HeadReader returned a head it should not have');
    if (result.head !== stream.toString('latin1', 0, end) || !result.rest.equals(stream.subarray(end + 4, pushed))) {
      throw new FuzzFailure('HeadReader split the head from the rest at the wrong place');
    }
    return;
  }
  if (end !== -1 && end + 4 <= maxSize) throw new FuzzFailure('HeadReader never returned the head');
}

export function fuzzClientRequest(rng: Random): void {
  const rawHeaders: string[] = [];
  const field = (name: string, valid: string, ...others: string[]) => {
    const value = rng.chance(0.8) ? valid : rng.pick(others);
    rawHeaders.push(name, mutateText(rng, value));
    if (rng.chance(0.1)) rawHeaders.push(name, rng.pick(others));
  };
  if (rng.chance(0.9)) field('Upgrade', 'websocket', 'WebSocket', 'h2c', '', 'websocket, h2c');
  if (rng.chance(0.9)) field('Connection', 'Upgrade', 'keep-alive, Upgrade', 'close', '');
  if (rng.chance(0.9)) field('Host', '127.0.0.1:80', '');
  if (rng.chance(0.9)) field('Sec-WebSocket-Key', KEY, 'short', `${KEY}=`, 'AAAAAAAAAAAAAAAAAAAAAA==', '');
  if (rng.chance(0.9)) field('Sec-WebSocket-Version', '13', '8', '', '13, 8');
  if (rng.chance(0.3)) field('Sec-WebSocket-Protocol', 'chat, superchat', 'chat', 'a b', ',', '');
  if (rng.chance(0.3)) field('Sec-WebSocket-Extensions', 'permessage-deflate; client_max_window_bits', 'permessage-deflate; x', ';', '');
  if (rng.chance(0.3)) field('Origin', 'https://app.example', 'https://evil.example', '');
  const method = rng.weighted([[9, 'GET'], [1, rng.pick(['POST', 'get', ''])]] as const);
  const httpVersion = rng.weighted([[9, '1.1'], [1, '1.0']] as const);
  const handshake = new ServerHandshake({ method, httpVersion, url: '/', rawHeaders, remoteAddress: '' }, {
    deflate: rng.chance(0.5) ? randomDeflateOptions(rng) : null,
    protocols: rng.chance(0.5) ? ['superchat', 'chat'] : undefined,
    origins: rng.chance(0.3) ? ['https://app.example', /^https:\/\/\w+\.example$/] : undefined,
  });
  const refused = only([], 'ServerHandshake.check', () => handshake.check());
  if (refused !== null) return;
  const key = handshake.request.headers['sec-websocket-key'];
  if (!isValidKey(key)) throw new FuzzFailure(`ServerHandshake accepted the key ${JSON.stringify(key)}`);
  const agreed = only([], 'ServerHandshake.accept', () => handshake.accept());
  if (agreed === undefined || !agreed.response.toString('latin1').startsWith('HTTP/1.1 101 ')) throw new FuzzFailure('accept() gave no 101');
}

const EXTENSION_PIECES = ['permessage-deflate', 'x-webkit-deflate-frame', 'server_no_context_takeover', 'client_no_context_takeover',
  'server_max_window_bits', 'client_max_window_bits', '=', '="10"', '=8', '=15', '=16', '=0x9', ';', ',', ' ', '\t', '"', '\\', 'a', '9'];

/** Sec-WebSocket-Extensions: the parser, a format/parse round trip, and a server's answer to whatever it got. */
export function fuzzExtensions(rng: Random): void {
  let header = '';
  for (let i = rng.below(14); i >= 0; i--) header += rng.pick(EXTENSION_PIECES);
  header = mutateText(rng, header);
  const parsed = only([SyntaxError], 'parseExtensions', () => parseExtensions(header));
  if (parsed !== undefined) {
    for (const { name, params } of parsed) {
      if (!isToken(name) || params.some(([n, v]) => !isToken(n) || (v !== true && !isToken(v)))) throw new FuzzFailure(`parsed a non-token from ${JSON.stringify(header)}`);
    }
    const again = parseExtensions(parsed.map((e) => formatExtension(e.name, e.params)).join(', '));
    if (JSON.stringify(again) !== JSON.stringify(parsed)) throw new FuzzFailure(`format/parse round trip changed ${JSON.stringify(header)}`);
  }
  const answer = only([], 'negotiateOffer', () => negotiateOffer(header, randomDeflateOptions(rng)));
  if (answer) only([], 'parseExtensions of our own answer', () => parseExtensions(answer.response));
}

function randomDeflateOptions(rng: Random): DeflateOptions {
  const bits = () => (rng.chance(0.5) ? undefined : rng.between(8, 15));
  return {
    serverNoContextTakeover: rng.chance(0.3),
    clientNoContextTakeover: rng.chance(0.3),
    serverMaxWindowBits: bits(),
    clientMaxWindowBits: bits(),
  };
}

/**
 * A whole negotiation: our client's offer (maybe after other offers) to our
 * server, its answer back to the client, then messages both ways through the
 * two codecs. Whatever the options, the sides must agree and round-trip.
 */
export function fuzzNegotiation(rng: Random): void {
  const clientOptions = randomDeflateOptions(rng);
  const serverOptions = randomDeflateOptions(rng);
  let offer = clientOffer(clientOptions);
  if (rng.chance(0.3)) offer = `${rng.pick(['x-foo', 'permessage-deflate; bogus', 'permessage-deflate; server_max_window_bits'])}, ${offer}`;
  const answer = negotiateOffer(offer, serverOptions);
  if (answer === null) throw new FuzzFailure(`the server declined our own offer ${offer}`);
  const client = only([], 'acceptResponse', () => acceptResponse(answer.response, clientOptions))!;
  const server = answer.params;
  if (client === null) throw new FuzzFailure('the client ignored the server\'s answer');
  if (client.sendNoContextTakeover !== server.receiveNoContextTakeover || client.receiveNoContextTakeover !== server.sendNoContextTakeover) {
    throw new FuzzFailure(`context takeover disagrees: offer ${offer}, answer ${answer.response}`);
  }
  if (clientOptions.serverMaxWindowBits !== undefined && server.sendWindowBits > clientOptions.serverMaxWindowBits) {
    throw new FuzzFailure(`server window ${server.sendWindowBits} above the ${clientOptions.serverMaxWindowBits} asked for`);
  }
  const pair = [new PerMessageDeflate(client, { threshold: 0 }), new PerMessageDeflate(server, { threshold: 0 })];
  for (let i = rng.between(1, 4); i > 0; i--) {
    const [from, to] = rng.chance(0.5) ? pair : [pair[1], pair[0]];
    const data = rng.chance(0.5) ? rng.bytes(rng.below(2000)) : Buffer.from('abcabcabd'.repeat(rng.below(300)));
    const wire = from.shouldCompress(data.length) ? from.compress(data) : null;
    if (wire !== null && !only([], 'decompress', () => to.decompress([wire], 1 << 20))!.equals(data)) {
      throw new FuzzFailure(`a message did not round-trip: offer ${offer}, answer ${answer.response}`);
    }
  }
}

/** The inflate path alone: any bytes as a compressed message fail only with 1007 or 1009, never beyond the limit. */
export function fuzzInflate(rng: Random): void {
  const codec = new PerMessageDeflate({ sendWindowBits: 15, sendNoContextTakeover: false, receiveNoContextTakeover: rng.chance(0.5) });
  const limit = rng.pick([1, 100, 4096, 1 << 20]);
  for (let i = rng.between(1, 3); i > 0; i--) {
    const valid = new PerMessageDeflate({ sendWindowBits: 15, sendNoContextTakeover: true, receiveNoContextTakeover: true }).compress(rng.chance(0.1) ? Buffer.alloc(rng.below(200_000)) : rng.bytes(rng.below(500)));
    const input = rng.chance(0.7) ? rng.mutate(valid) : rng.bytes(rng.below(64));
    const out = only([WebSocketError], 'decompress', () => {
      try {
        return codec.decompress(rng.chunks(input), limit);
      } catch (error) {
        if (error instanceof WebSocketError && error.closeCode !== 1007 && error.closeCode !== 1009) throw new FuzzFailure(`inflate failed with ${error.closeCode}`);
        throw error;
      }
    });
    if (out !== undefined && out.length > limit) throw new FuzzFailure(`inflated ${out.length} bytes past the ${limit}-byte limit`);
  }
}

/** The client's whole opening handshake: any server answer, in any chunking, ends in an outcome or a HandshakeError. */
export function fuzzClientHandshake(rng: Random): void {
  const handshake = new ClientHandshake({
    host: '127.0.0.1', resource: '/', key: KEY,
    protocols: rng.chance(0.5) ? ['chat', 'superchat'] : [], deflate: rng.chance(0.5) ? randomDeflateOptions(rng) : null,
    maxHeadSize: rng.pick([64, 16 * 1024]),
  });
  let head = rng.chance(0.7)
    ? `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(KEY)}`
    : `HTTP/1.1 ${rng.pick(['400 Bad Request', '403 Forbidden', '503 Busy', '302 Found'])}`;
  for (let i = rng.below(4); i > 0; i--) {
    head += `\r\n${rng.pick(['Sec-WebSocket-Protocol: chat', 'Sec-WebSocket-Protocol: other', 'Sec-WebSocket-Extensions: permessage-deflate',
      'Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10', 'Content-Length: 5', 'Content-Length: x',
      'Transfer-Encoding: chunked', 'Content-Length: 99999999'])}`;
  }
  const body = rng.pick(['', 'hello', '5\r\nhello\r\n0\r\n\r\n', 'zz\r\n', '\x81\x02hi']);
  const wire = Buffer.from(mutateText(rng, `${head}\r\n\r\n${body}`), 'latin1');
  const outcome = only([HandshakeError], 'ClientHandshake', () => {
    for (const chunk of rng.chunks(wire)) {
      const result = handshake.receiveData(chunk);
      if (result !== null) return result;
    }
    return handshake.receiveEof();
  });
  if (outcome !== undefined && outcome.accepted && outcome.response.status !== 101) throw new FuzzFailure(`accepted a ${outcome.response.status}`);
}
