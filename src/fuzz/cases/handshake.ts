import { acceptKey } from '../../protocol/handshake.js';
import { CLEAN_CLOSE, Verdict, text, type CaseDefinition, type CaseRun } from './common.js';
import {
  draftVersion, mayRefuseSize, mustAccept, mustRefuse, originAnswer, subprotocolAnswer, versionRefusal,
  type HandshakeAnswer, type Judgement, type RequestProbe, type ResponseProbe,
} from '../handshake-probe.js';

/**
 * Category 14: the opening handshake (RFC 6455 §4), which Autobahn does not
 * test. 14.1–14.8 test servers (we send odd requests), 14.9–14.13 test
 * clients (we give odd answers). Verdicts: a MUST broken is FAILED, a
 * SHOULD (or an answer the RFC does not name) NON-STRICT, a permitted
 * choice worth knowing INFORMATIONAL.
 */

type Line = [string, string];
type Target = { key: string; host: string; resource: string };

/** The message echoed after an accepted handshake (and the one sent in the answer's segment). */
export const PROBE_MESSAGE = 'Hello, handshake';
const ECHO_TEXT = PROBE_MESSAGE;

/** The plain request's lines, then `edit` applied. */
function request(t: Target, edit: (lines: Line[]) => Line[] = (l) => l, requestLine = `GET ${t.resource} HTTP/1.1`): string {
  const lines: Line[] = [['Host', t.host], ['Upgrade', 'websocket'], ['Connection', 'Upgrade'], ['Sec-WebSocket-Key', t.key], ['Sec-WebSocket-Version', '13']];
  return `${requestLine}\r\n${edit(lines).map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`;
}

const without = (name: string) => (lines: Line[]): Line[] => lines.filter(([n]) => n.toLowerCase() !== name);
const replacing = (name: string, ...values: string[]) => (lines: Line[]): Line[] => {
  const at = lines.findIndex(([n]) => n.toLowerCase() === name.toLowerCase());
  const named = values.map((v): Line => [lines[at]?.[0] ?? name, v]);
  return at === -1 ? [...lines, ...named] : [...lines.slice(0, at), ...named, ...lines.slice(at + 1)];
};
const adding = (...extra: Line[]) => (lines: Line[]): Line[] => [...lines, ...extra];

/** After an accepted probe: one text message, echoed, then our Close. */
function echoOnce(run: CaseRun): void {
  run.expect(Verdict.OK, [['message', text(ECHO_TEXT), false]]);
  run.expectedClose = CLEAN_CLOSE;
  if (run.definition.request?.pipelined === undefined && !run.definition.response?.pipelined) run.peer.sendMessage(text(ECHO_TEXT), false);
  run.peer.killAfter(2);
}

interface ServerCase {
  sub: number;
  description: string;
  expectation: string;
  head(t: Target): string;
  judge(answer: HandshakeAnswer): Judgement;
  byteByByte?: boolean;
  pipelined?: string;
  judgeEcho?(run: CaseRun): void;
}

const keyOf = (octets: number) => Buffer.alloc(octets, 0x5a).toString('base64');

/** 14.1–14.8: servers under test. */
const SERVER_CASES: ServerCase[][] = [
  // 14.1 Request line and Host
  [
    { sub: 1, description: 'A request without Host.', expectation: 'Refused with 400 (RFC 9112 §3.2: a server MUST answer 400 to an HTTP/1.1 request without Host; RFC 6455 §4.2.1 item 2).', head: (t) => request(t, without('host')), judge: mustRefuse('RFC 9112 §3.2 requires 400 for a request without Host') },
    { sub: 2, description: 'Two Host lines with the same value.', expectation: 'Refused with 400 (RFC 9112 §3.2: more than one Host line MUST get 400).', head: (t) => request(t, adding(['Host', t.host])), judge: mustRefuse('RFC 9112 §3.2 requires 400 for more than one Host line') },
    { sub: 3, description: 'Two Host lines naming different hosts.', expectation: 'Refused with 400 (RFC 9112 §3.2).', head: (t) => request(t, adding(['Host', 'other.invalid'])), judge: mustRefuse('RFC 9112 §3.2 requires 400 for more than one Host line') },
    { sub: 4, description: 'The handshake as an HTTP/1.0 request.', expectation: 'Refused (RFC 6455 §4.2.1 item 1: an HTTP/1.1 or higher GET request).', head: (t) => request(t, undefined, `GET ${t.resource} HTTP/1.0`), judge: mustRefuse('RFC 6455 §4.2.1 item 1 needs HTTP/1.1 or higher') },
    { sub: 5, description: 'The handshake with method POST.', expectation: 'Refused (RFC 6455 §4.2.1 item 1: the method MUST be GET).', head: (t) => request(t, (l) => [...l, ['Content-Length', '0']], `POST ${t.resource} HTTP/1.1`), judge: mustRefuse('RFC 6455 §4.2.1 item 1 needs GET') },
    { sub: 6, description: 'The request target in absolute form: GET http://host/resource HTTP/1.1.', expectation: 'Accepted and echoed (RFC 9112 §3.2.2: a server MUST accept the absolute form).', head: (t) => request(t, undefined, `GET http://${t.host}${t.resource} HTTP/1.1`), judge: mustAccept('RFC 9112 §3.2.2 says a server MUST accept the absolute form') },
    { sub: 7, description: 'Every header name in lower case.', expectation: 'Accepted and echoed (RFC 9110 §5.1: field names are case-insensitive).', head: (t) => request(t, (l) => l.map(([n, v]): Line => [n.toLowerCase(), v])), judge: mustAccept('RFC 9110 §5.1 makes field names case-insensitive') },
  ],
  // 14.2 Upgrade and Connection
  [
    { sub: 1, description: 'Upgrade: WebSocket (mixed case).', expectation: 'Accepted and echoed (RFC 6455 §4.2.1 item 3: an ASCII case-insensitive match).', head: (t) => request(t, replacing('upgrade', 'WebSocket')), judge: mustAccept('RFC 6455 §4.2.1 item 3 matches "websocket" case-insensitively') },
    { sub: 2, description: 'Connection: upgrade (lower case).', expectation: 'Accepted and echoed (RFC 6455 §4.2.1 item 4: case-insensitive).', head: (t) => request(t, replacing('connection', 'upgrade')), judge: mustAccept('RFC 6455 §4.2.1 item 4 matches "Upgrade" case-insensitively') },
    { sub: 3, description: 'Connection: keep-alive, Upgrade (as Firefox sends it).', expectation: 'Accepted and echoed (RFC 6455 §4.2.1 item 4: Connection includes the token Upgrade).', head: (t) => request(t, replacing('connection', 'keep-alive, Upgrade')), judge: mustAccept('RFC 6455 §4.2.1 item 4 needs Upgrade among the Connection tokens') },
    { sub: 4, description: 'Connection: Upgrade followed by a tab.', expectation: 'Accepted and echoed (RFC 9110 §5.5: whitespace around a field value is not part of it).', head: (t) => request(t, replacing('connection', 'Upgrade\t')), judge: mustAccept('RFC 9110 §5.5: a parser MUST exclude leading and trailing whitespace') },
    { sub: 5, description: 'Connection: "  Upgrade  " and Upgrade: "\\twebsocket " with odd whitespace.', expectation: 'Accepted and echoed (RFC 9110 §5.5, §5.6.1: OWS around values and list items).', head: (t) => request(t, (l) => replacing('upgrade', '\twebsocket ')(replacing('connection', '  Upgrade  ')(l))), judge: mustAccept('RFC 9110 §5.5 ignores whitespace around values') },
    { sub: 6, description: 'Two Connection lines: keep-alive, then Upgrade.', expectation: 'Accepted and echoed (RFC 9110 §5.3: repeated lines of a list field form one list).', head: (t) => request(t, replacing('connection', 'keep-alive', 'Upgrade')), judge: mustAccept('RFC 9110 §5.3 combines repeated list fields') },
    { sub: 7, description: 'No Upgrade header.', expectation: 'Refused (RFC 6455 §4.2.1 item 3).', head: (t) => request(t, without('upgrade')), judge: mustRefuse('RFC 6455 §4.2.1 item 3 requires Upgrade: websocket') },
    { sub: 8, description: 'No Connection header.', expectation: 'Refused (RFC 6455 §4.2.1 item 4).', head: (t) => request(t, without('connection')), judge: mustRefuse('RFC 6455 §4.2.1 item 4 requires Connection: Upgrade') },
    { sub: 9, description: 'Connection: close instead of Upgrade.', expectation: 'Refused (RFC 6455 §4.2.1 item 4).', head: (t) => request(t, replacing('connection', 'close')), judge: mustRefuse('RFC 6455 §4.2.1 item 4 requires the Upgrade token') },
  ],
  // 14.3 Sec-WebSocket-Key
  [
    { sub: 1, description: 'No Sec-WebSocket-Key.', expectation: 'Refused (RFC 6455 §4.2.1 item 5).', head: (t) => request(t, without('sec-websocket-key')), judge: mustRefuse('RFC 6455 §4.2.1 item 5 requires the key') },
    { sub: 2, description: 'A key that is the base64 of 15 octets.', expectation: 'Refused (RFC 6455 §4.2.1 item 5: the base64 of 16 octets).', head: (t) => request(t, replacing('sec-websocket-key', keyOf(15))), judge: mustRefuse('RFC 6455 §4.2.1 item 5 requires a key of 16 octets') },
    { sub: 3, description: 'A key that is the base64 of 20 octets.', expectation: 'Refused (RFC 6455 §4.2.1 item 5).', head: (t) => request(t, replacing('sec-websocket-key', keyOf(20))), judge: mustRefuse('RFC 6455 §4.2.1 item 5 requires a key of 16 octets') },
    { sub: 4, description: 'Two Sec-WebSocket-Key lines.', expectation: 'Refused (RFC 6455 §11.3.1: the key MUST NOT appear more than once).', head: (t) => request(t, replacing('sec-websocket-key', t.key, keyOf(16))), judge: mustRefuse('RFC 6455 §11.3.1 allows one Sec-WebSocket-Key') },
    { sub: 5, description: 'A 24-character key that is not base64.', expectation: 'Refused (RFC 6455 §4.2.1 item 5).', head: (t) => request(t, replacing('sec-websocket-key', '!!!!!!!!!!!!!!!!!!!!!!==')), judge: mustRefuse('RFC 6455 §4.2.1 item 5 requires base64') },
  ],
  // 14.4 Sec-WebSocket-Version
  [
    { sub: 1, description: 'Sec-WebSocket-Version: 8 (draft hybi-08).', expectation: 'Refused with 426 and Sec-WebSocket-Version: 13 (RFC 6455 §4.4); a server that also speaks version 8 may accept (INFORMATIONAL).', head: (t) => request(t, replacing('sec-websocket-version', '8')), judge: draftVersion },
    { sub: 2, description: 'Sec-WebSocket-Version: 14 (no such version).', expectation: 'Refused with 426 and Sec-WebSocket-Version: 13 (RFC 6455 §4.4).', head: (t) => request(t, replacing('sec-websocket-version', '14')), judge: versionRefusal },
    { sub: 3, description: 'No Sec-WebSocket-Version.', expectation: 'Refused (RFC 6455 §4.2.1 item 6); 426 with Sec-WebSocket-Version: 13 is best.', head: (t) => request(t, without('sec-websocket-version')), judge: mustRefuse('RFC 6455 §4.2.1 item 6 requires Sec-WebSocket-Version') },
    { sub: 4, description: 'Sec-WebSocket-Version: 13, 8 (a list).', expectation: 'Refused with 426 and Sec-WebSocket-Version: 13: the value is one version (RFC 6455 §4.2.1 item 6, §11.3.5).', head: (t) => request(t, replacing('sec-websocket-version', '13, 8')), judge: severalVersions },
    { sub: 5, description: 'Two Sec-WebSocket-Version lines: 13 and 8.', expectation: 'Refused with 426 and Sec-WebSocket-Version: 13 (RFC 6455 §11.3.5: MUST NOT appear more than once in a request).', head: (t) => request(t, replacing('sec-websocket-version', '13', '8')), judge: severalVersions },
  ],
  // 14.5 Origin
  [
    { sub: 1, description: 'Origin: http://example.com.', expectation: 'Accepted and echoed; a 403 is the server\'s right (RFC 6455 §4.2.2 step 4, §10.2) and INFORMATIONAL.', head: (t) => request(t, adding(['Origin', 'http://example.com'])), judge: originAnswer },
    { sub: 2, description: 'Origin: null (an opaque origin, as from a sandboxed page).', expectation: 'Accepted and echoed, or 403 (INFORMATIONAL: RFC 6455 §10.2 lets a server refuse origins).', head: (t) => request(t, adding(['Origin', 'null'])), judge: originAnswer },
    { sub: 3, description: 'No Origin (as every non-browser client sends).', expectation: 'Accepted and echoed (RFC 6455 §4.1 item 8: only browsers must send Origin).', head: (t) => request(t), judge: mustAccept('RFC 6455 §4.1 item 8 makes Origin a browser\'s header') },
  ],
  // 14.6 Subprotocols
  [
    { sub: 1, description: 'Sec-WebSocket-Protocol: chat.', expectation: 'Accepted with no subprotocol or with "chat" (RFC 6455 §4.2.2 step 5.5).', head: (t) => request(t, adding(['Sec-WebSocket-Protocol', 'chat'])), judge: subprotocolAnswer(['chat']) },
    { sub: 2, description: 'Sec-WebSocket-Protocol: chat, superchat.', expectation: 'Accepted with none or one of them, once (RFC 6455 §4.2.2 step 5.5, §11.3.4).', head: (t) => request(t, adding(['Sec-WebSocket-Protocol', 'chat, superchat'])), judge: subprotocolAnswer(['chat', 'superchat']) },
    { sub: 3, description: 'Two Sec-WebSocket-Protocol lines: chat, then superchat.', expectation: 'Accepted with none or one of them (RFC 6455 §11.3.4: the header may appear more than once in a request).', head: (t) => request(t, adding(['Sec-WebSocket-Protocol', 'chat'], ['Sec-WebSocket-Protocol', 'superchat'])), judge: subprotocolAnswer(['chat', 'superchat']) },
    { sub: 4, description: 'Sec-WebSocket-Protocol: chat, chat (repeated).', expectation: 'Accepted with none or "chat", once (RFC 6455 §4.2.2 step 5.5, §11.3.4).', head: (t) => request(t, adding(['Sec-WebSocket-Protocol', 'chat, chat'])), judge: subprotocolAnswer(['chat']) },
    { sub: 5, description: 'Sec-WebSocket-Protocol: "chat room" (not a token).', expectation: 'Refused, or accepted without a subprotocol: no valid one was offered (RFC 6455 §4.1 item 10: each value a token).', head: (t) => request(t, adding(['Sec-WebSocket-Protocol', 'chat room'])), judge: subprotocolAnswer([], { refusalIsRight: true }) },
  ],
  // 14.7 Large heads
  [
    { sub: 1, description: 'A header line of 8 KiB.', expectation: 'Accepted, or refused with 431 or 400 (RFC 6585 §5).', head: (t) => request(t, adding(['X-Padding', 'a'.repeat(8 * 1024)])), judge: mayRefuseSize },
    { sub: 2, description: '100 extra header lines.', expectation: 'Accepted, or refused with 431 or 400 (RFC 6585 §5).', head: (t) => request(t, adding(...Array.from({ length: 100 }, (_, i): Line => [`X-Header-${i}`, String(i)]))), judge: mayRefuseSize },
    { sub: 3, description: 'A header line of 64 KiB.', expectation: 'Refused with 431 or 400, or accepted; the server must answer, not just close (RFC 6585 §5).', head: (t) => request(t, adding(['X-Padding', 'a'.repeat(64 * 1024)])), judge: mayRefuseSize },
  ],
  // 14.8 Delivery
  [
    { sub: 1, description: 'The request head written one octet at a time.', expectation: 'Accepted and echoed (RFC 9112 §2: a message does not depend on how it is split into segments).', head: (t) => request(t), byteByByte: true, judge: mustAccept('how the head is segmented does not matter (RFC 9112 §2)') },
    {
      sub: 2, description: 'A text message in the same segment as the request head, before any answer.', expectation: 'Accepted and the message echoed; RFC 6455 §4.1 says a client MUST wait for the answer, so a server that drops it is INFORMATIONAL.',
      head: (t) => request(t), pipelined: ECHO_TEXT, judge: mustAccept('frames after the head belong to the connection'),
      judgeEcho(run) {
        if (run.behavior === Verdict.FAILED) {
          run.behavior = Verdict.INFORMATIONAL;
          run.result = `The message sent with the head was not echoed (${run.result}); RFC 6455 §4.1 makes the client wait, so this is the server's choice`;
        }
      },
    },
  ],
];

/** 13 among several offered versions, or twice: a lenient 101 is NON-STRICT, 426 + 13 OK. */
function severalVersions(answer: HandshakeAnswer): Judgement {
  if (answer.status === 101) return { verdict: Verdict.NON_STRICT, reason: 'Opened the connection: Sec-WebSocket-Version holds one version, once (RFC 6455 §4.2.1 item 6, §11.3.5)' };
  return versionRefusal(answer);
}

const SERVER_TITLES = ['Request line and Host', 'Upgrade and Connection', 'Sec-WebSocket-Key', 'Sec-WebSocket-Version', 'Origin', 'Subprotocols', 'Large request heads', 'How the request arrives'];

/** Judges the echo after an accepted probe: the probe's verdict, unless the echo went wrong. */
function combine(run: CaseRun, probe: Judgement, judgeEcho?: (run: CaseRun) => void): void {
  judgeEcho?.(run);
  if (probe.verdict !== Verdict.OK) {
    run.behavior = probe.verdict;
    run.result = probe.reason;
  } else if (run.behavior === Verdict.OK) {
    run.result = `${probe.reason}; the message was echoed`;
  }
}

function serverCase(sub: number, c: ServerCase): CaseDefinition {
  const probe: RequestProbe = { head: c.head, judge: c.judge, byteByByte: c.byteByByte, pipelined: c.pipelined };
  return {
    id: `14.${sub}.${c.sub}`,
    description: c.description,
    expectation: c.expectation,
    tests: 'server',
    request: probe,
    deadline: 10,
    open: echoOnce,
    judge(run) {
      combine(run, (run.data.probe as Judgement | undefined) ?? { verdict: Verdict.OK, reason: '' }, c.judgeEcho);
    },
  };
}

// ---- clients under test

interface ClientCase {
  sub: number;
  description: string;
  head(key: string): string;
  expect: 'accept' | 'fail';
  /** For 'fail' cases: the verdict when the client uses the connection anyway (FAILED unless the RFC's MUST is elsewhere). */
  acceptedIs?: Verdict;
  rule: string;
  byteByByte?: boolean;
  pipelined?: boolean;
}

/** The plain 101's lines for `key`, then `edit` applied. */
function response(key: string, edit: (lines: Line[]) => Line[] = (l) => l, statusLine = 'HTTP/1.1 101 Switching Protocols'): string {
  const lines: Line[] = [['Upgrade', 'websocket'], ['Connection', 'Upgrade'], ['Sec-WebSocket-Accept', acceptKey(key)]];
  return `${statusLine}\r\n${edit(lines).map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`;
}

const MUST_FAIL = 'the client MUST _Fail the WebSocket Connection_';
const plainAnswer = (status: string, extra: Line[] = []) => (): string =>
  `HTTP/1.1 ${status}\r\n${[...extra, ['Content-Length', '0'] as Line].map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`;

const CLIENT_CASES: ClientCase[][] = [
  // 14.9 Sec-WebSocket-Accept
  [
    { sub: 1, description: 'A 101 whose Sec-WebSocket-Accept is for another key.', head: (k) => response(k, replacing('sec-websocket-accept', acceptKey([...k].reverse().join('')))), expect: 'fail', rule: `RFC 6455 §4.1 (response check 4): with a wrong Sec-WebSocket-Accept ${MUST_FAIL}` },
    { sub: 2, description: 'A 101 without Sec-WebSocket-Accept.', head: (k) => response(k, without('sec-websocket-accept')), expect: 'fail', rule: `RFC 6455 §4.1 (response check 4): without Sec-WebSocket-Accept ${MUST_FAIL}` },
    { sub: 3, description: 'A 101 with the right Sec-WebSocket-Accept twice.', head: (k) => response(k, replacing('sec-websocket-accept', acceptKey(k), acceptKey(k))), expect: 'fail', rule: `RFC 6455 §11.3.3: Sec-WebSocket-Accept MUST NOT appear more than once; the combined value is not the expected one, so ${MUST_FAIL} (§4.1)` },
    { sub: 4, description: 'A 101 whose Sec-WebSocket-Accept is the right one in lower case.', head: (k) => response(k, replacing('sec-websocket-accept', acceptKey(k).toLowerCase())), expect: 'fail', rule: `RFC 6455 §4.1: base64 is case-sensitive; a value that is not the expected one means ${MUST_FAIL}` },
  ],
  // 14.10 Status
  [
    { sub: 1, description: 'HTTP/1.1 200 OK instead of 101.', head: plainAnswer('200 OK'), expect: 'fail', rule: `RFC 6455 §4.1 (response check 1): any status but 101 means no WebSocket connection; ${MUST_FAIL} or handle it as HTTP` },
    { sub: 2, description: 'HTTP/1.1 301 to another path.', head: plainAnswer('301 Moved Permanently', [['Location', '/redirected-by-fuzzer']]), expect: 'fail', rule: 'RFC 6455 §4.1: a 3xx is handled as HTTP (a client may follow it, to a path where our fuzzer answers 404); this connection must not be used as a WebSocket' },
    { sub: 3, description: 'HTTP/1.1 426 Upgrade Required with Sec-WebSocket-Version: 13.', head: plainAnswer('426 Upgrade Required', [['Sec-WebSocket-Version', '13']]), expect: 'fail', rule: `RFC 6455 §4.1: any status but 101 means ${MUST_FAIL}` },
    {
      sub: 4, description: 'An HTTP/1.0 101.', head: (k) => response(k, undefined, 'HTTP/1.0 101 Switching Protocols'), expect: 'fail', acceptedIs: Verdict.NON_STRICT,
      rule: 'RFC 9110 §15.2.2: a server MUST NOT send 101 over HTTP/1.0, and RFC 6455 §4.1 needs HTTP/1.1; the client\'s checks in §4.1 do not name the version, so taking it is NON-STRICT',
    },
  ],
  // 14.11 What the client did not offer
  [
    { sub: 1, description: 'A 101 choosing subprotocol "chat", which the client did not offer.', head: (k) => response(k, adding(['Sec-WebSocket-Protocol', 'chat'])), expect: 'fail', rule: `RFC 6455 §4.1 (response check 6): a subprotocol not offered means ${MUST_FAIL}` },
    { sub: 2, description: 'A 101 accepting extension "x-scriptling-fuzz", which no client offers.', head: (k) => response(k, adding(['Sec-WebSocket-Extensions', 'x-scriptling-fuzz'])), expect: 'fail', rule: `RFC 6455 §4.1 (response check 5): an extension not offered means ${MUST_FAIL}` },
  ],
  // 14.12 Upgrade and Connection
  [
    { sub: 1, description: 'A 101 without Upgrade.', head: (k) => response(k, without('upgrade')), expect: 'fail', rule: `RFC 6455 §4.1 (response check 2): without Upgrade: websocket ${MUST_FAIL}` },
    { sub: 2, description: 'A 101 without Connection.', head: (k) => response(k, without('connection')), expect: 'fail', rule: `RFC 6455 §4.1 (response check 3): without Connection: Upgrade ${MUST_FAIL}` },
    { sub: 3, description: 'A 101 with Upgrade: WebSocket and Connection: upgrade (other cases).', head: (k) => response(k, (l) => replacing('connection', 'upgrade')(replacing('upgrade', 'WebSocket')(l))), expect: 'accept', rule: 'RFC 6455 §4.1 (response checks 2, 3): both match case-insensitively, so the connection is open' },
    { sub: 4, description: 'A 101 with Connection: keep-alive, Upgrade.', head: (k) => response(k, replacing('connection', 'keep-alive, Upgrade')), expect: 'accept', rule: 'RFC 6455 §4.1 (response check 3): Connection must contain the token Upgrade, among others or not' },
  ],
  // 14.13 How the answer arrives
  [
    { sub: 1, description: 'The 101 written one octet at a time.', head: (k) => response(k), byteByByte: true, expect: 'accept', rule: 'RFC 9112 §2: a message does not depend on how it is split into segments' },
    { sub: 2, description: 'The first message in the same segment as the 101.', head: (k) => response(k), pipelined: true, expect: 'accept', rule: 'RFC 6455 §4.1: once the 101 is read, what follows is WebSocket frames' },
  ],
];

const CLIENT_TITLES = ['Sec-WebSocket-Accept (clients)', 'Status (clients)', 'What the client did not offer', 'Upgrade and Connection (clients)', 'How the answer arrives (clients)'];

const clientCase = (sub: number, c: ClientCase): CaseDefinition => clientProbeCase(`14.${sub}.${c.sub}`, c);

/**
 * A case for clients under test: our answer `c.head`, then one message (or,
 * with `echo`, the case's own open) that a client must echo when it had to
 * accept, and must never see when it had to fail.
 */
export function clientProbeCase(
  id: string,
  c: Omit<ClientCase, 'sub'> & Pick<ResponseProbe, 'needsDeflateOffer' | 'codec'> & {
    echo?(run: CaseRun): void;
    /** An accept case the client may still refuse cleanly (RFC 7692 §7.1: a configuration it does not support): INFORMATIONAL. */
    mayRefuse?: string;
  },
): CaseDefinition {
  const probe: ResponseProbe = { head: c.head, expect: c.expect, rule: c.rule, byteByByte: c.byteByByte, pipelined: c.pipelined, needsDeflateOffer: c.needsDeflateOffer, codec: c.codec };
  return {
    id,
    description: c.description,
    expectation: c.expect === 'accept'
      ? `The client goes on and echoes our message (${c.rule}).`
      : `The client fails the connection: it closes TCP without using it (${c.rule}).`,
    tests: 'client',
    response: probe,
    deadline: 10,
    open(run) {
      if (c.expect === 'accept') return (c.echo ?? echoOnce)(run);
      // A client that wrongly took the connection as open echoes this.
      run.expect(Verdict.OK, []);
      run.expectedClose = { closedByMe: false, closeCode: [], requireClean: false };
      run.peer.sendMessage(text(ECHO_TEXT), false);
      run.peer.later(3, () => run.peer.abort('the client neither failed nor used the connection within 3 s'));
    },
    // An echo settles a case the client had to fail: no need to wait out its timer.
    onMessage: c.expect === 'fail'
      ? (run, payload, binary) => {
          run.received.push(['message', payload, binary]);
          run.peer.abort('the client used the connection');
        }
      : undefined,
    judge(run) {
      if (c.expect === 'accept') {
        if (run.behavior === Verdict.OK) run.result = `The client went on and echoed our message (${c.rule})`;
        else if (c.mayRefuse !== undefined && run.received.length === 0 && Object.keys(run.peer.log.rxFrameStats).length === 0 && !run.peer.droppedByMe) {
          run.behavior = Verdict.INFORMATIONAL;
          run.result = `The client failed the connection: ${c.mayRefuse}`;
        } else run.result = `The client did not go on with a connection it had to accept (${c.rule}): ${run.result}`;
        return;
      }
      judgeFailed(run, c.rule, c.acceptedIs ?? Verdict.FAILED);
    },
  };
}

/** A client that had to fail the connection: no echo, TCP closed by it. */
function judgeFailed(run: CaseRun, rule: string, acceptedIs: Verdict): void {
  const p = run.peer;
  run.behaviorClose = Verdict.OK;
  run.resultClose = 'No WebSocket connection was to be opened';
  if (run.received.some(([kind]) => kind === 'message')) {
    run.behavior = acceptedIs;
    run.result = `The client echoed our message: it used a connection it had to fail (${rule})`;
  } else if (p.wasNotCleanReason?.startsWith('the client neither') || p.limitReached !== null) {
    run.behavior = Verdict.FAILED;
    run.result = `The client ${p.limitReached ?? 'neither failed nor used the connection within 3 s'} (${rule})`;
  } else if (Object.keys(p.log.rxFrameStats).length > 0) {
    run.behavior = Verdict.NON_STRICT;
    run.result = `The client sent WebSocket frames (a Close: ${p.remoteCloseCode ?? 'none'}) on a connection it had to fail without them (${rule})`;
  } else {
    run.behavior = Verdict.OK;
    run.result = `The client failed the connection (${rule})`;
  }
}

export const handshakeCases: CaseDefinition[] = [
  ...SERVER_CASES.flatMap((group, i) => group.map((c) => serverCase(i + 1, c))),
  ...CLIENT_CASES.flatMap((group, i) => group.map((c) => clientCase(SERVER_CASES.length + i + 1, c))),
];

export const HANDSHAKE_TITLES: Record<string, string> = Object.fromEntries([
  ...SERVER_TITLES.map((title, i) => [`14.${i + 1}`, `${title} (servers)`]),
  ...CLIENT_TITLES.map((title, i) => [`14.${SERVER_TITLES.length + i + 1}`, title]),
]);
