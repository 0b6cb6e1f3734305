import { parseExtensions, type Extension } from '../../protocol/extensions.js';
import { PerMessageDeflate } from '../../protocol/deflate.js';
import { CLEAN_CLOSE, Verdict, text, type CaseDefinition, type CaseRun } from './common.js';
import { COMPRESSION_LEVEL } from '../deflate.js';
import type { HandshakeAnswer, Judgement, RequestProbe } from '../handshake-probe.js';
import { acceptKey } from '../../protocol/handshake.js';
import { clientProbeCase } from './handshake.js';

/**
 * Category 15: permessage-deflate negotiation (RFC 7692 §7.1), servers under
 * test. We offer; the server's answer must accept one offer it may accept,
 * with parameters that offer allows, or decline; then three compressed
 * messages go each way, compressed and inflated by what was agreed, so a
 * server that ignores server_no_context_takeover fails the inflate (1007),
 * and one that agreed to a server_max_window_bits below 15 has its messages
 * inflated with that window: referring further back fails the case
 * ("invalid distance too far back").
 */

const NAME = 'permessage-deflate';
const WINDOW = /^(8|9|1[0-5])$/;
/**
 * The same each time, with no repeats inside (about 3 KiB of distinct tokens): a server keeping context
 * refers back to the previous message, about 3 KiB away, past any window of 11 bits or less, so one that
 * compresses with a larger window than it agreed to is caught.
 */
const MESSAGE = Array.from({ length: 400 }, (_, i) => ((i * 2654435761) >>> 0).toString(36)).join(' ');
const ROUNDS = 3;

type Params = Map<string, string | true>;

/** A permessage-deflate element's parameters, or why it is not valid (RFC 7692 §7.1: names, values, no repeats). */
function readParams(extension: Extension, role: 'offer' | 'response'): Params | string {
  const params: Params = new Map();
  for (const [name, value] of extension.params) {
    if (params.has(name)) return `parameter ${name} twice`;
    params.set(name, value);
    if (name === 'server_no_context_takeover' || name === 'client_no_context_takeover') {
      if (value !== true) return `${name} with a value`;
    } else if (name === 'server_max_window_bits') {
      if (value === true || !WINDOW.test(value)) return `server_max_window_bits=${value === true ? '' : value}, not 8–15`;
    } else if (name === 'client_max_window_bits') {
      // An offer may say it without a value; a response must give one (§7.1.2.2).
      if (value === true ? role === 'response' : !WINDOW.test(value)) return `client_max_window_bits${value === true ? ' without a value' : `=${value}`}`;
    } else {
      return `unknown parameter ${name}`;
    }
  }
  return params;
}

/** Why `response` does not answer `offer` as RFC 7692 §7.1.1–7.1.2 allow, or null when it does. */
function answersOffer(offer: Params, response: Params): string | null {
  if (offer.has('server_no_context_takeover') && !response.has('server_no_context_takeover')) return 'the offer asked for server_no_context_takeover and the answer leaves it out (§7.1.1.1)';
  const asked = offer.get('server_max_window_bits');
  const granted = response.get('server_max_window_bits');
  if (typeof asked === 'string' && (typeof granted !== 'string' || Number(granted) > Number(asked))) return `the offer asked for server_max_window_bits=${asked}, the answer has ${granted ?? 'none'} (§7.1.2.1)`;
  const client = response.get('client_max_window_bits');
  if (client !== undefined) {
    const allowed = offer.get('client_max_window_bits');
    if (allowed === undefined) return 'client_max_window_bits in the answer, not in the offer (§7.1.2.2)';
    if (typeof allowed === 'string' && Number(client) > Number(allowed)) return `client_max_window_bits=${client} above the offered ${allowed} (§7.1.2.2)`;
  }
  return null;
}

interface Outcome extends Judgement {
  codec: PerMessageDeflate | null;
}

/** Judges the answer to `offerHeader`; `valid` says whether any offer in it is valid. */
function judgeAnswer(offerHeader: string, answer: HandshakeAnswer, declineVerdict: Judgement): Outcome {
  if (answer.status !== 101) {
    const refused = answer.status !== null && answer.status >= 400 && answer.status < 500;
    return { verdict: refused ? Verdict.INFORMATIONAL : Verdict.FAILED, reason: `${answer.status ?? answer.problem}: the handshake was refused instead of the offer declined (RFC 7692 §7.1)`, codec: null };
  }
  if (answer.switchProblem !== null) return { verdict: Verdict.FAILED, reason: `An invalid 101: ${answer.switchProblem}`, codec: null };
  const lines = answer.lines.filter(([n]) => n === 'sec-websocket-extensions').map(([, v]) => v);
  if (lines.length === 0) return { ...declineVerdict, codec: null };
  let answered: Extension[];
  try {
    answered = parseExtensions(lines.join(', '));
  } catch (error) {
    return { verdict: Verdict.FAILED, reason: `Sec-WebSocket-Extensions is malformed: ${(error as Error).message}`, codec: null };
  }
  if (answered.length !== 1 || answered[0].name !== NAME) return { verdict: Verdict.FAILED, reason: `Answered ${lines.join(', ')}: one permessage-deflate at most (RFC 6455 §9.1: only offered extensions, RFC 7692 §7.1: one of the offers)`, codec: null };
  const response = readParams(answered[0], 'response');
  if (typeof response === 'string') return { verdict: Verdict.FAILED, reason: `The answer is not valid: ${response} (RFC 7692 §7.1)`, codec: null };
  const offers = parseExtensions(offerHeader).filter((e) => e.name === NAME).map((e) => readParams(e, 'offer')).filter((p): p is Params => typeof p !== 'string');
  const problems = offers.map((offer) => answersOffer(offer, response));
  if (!problems.includes(null)) {
    return { verdict: Verdict.FAILED, reason: offers.length === 0 ? 'Accepted, though every offer was invalid (RFC 7692 §7.1: a server MUST decline them)' : `The answer matches no valid offer: ${problems.join('; ')}`, codec: null };
  }
  const client = response.get('client_max_window_bits');
  if (client === '8') {
    return {
      verdict: Verdict.INFORMATIONAL,
      reason: `Accepted with client_max_window_bits=8 (${lines.join(', ')}): valid, but zlib ≥ 1.2.9 cannot deflate with 8 (it uses 9); a client can only send uncompressed messages then. Not played further`,
      codec: null,
      final: true,
    };
  }
  const serverBits = response.get('server_max_window_bits');
  const window8 = serverBits === '8';
  const codec = new PerMessageDeflate(
    {
      sendWindowBits: typeof client === 'string' ? Number(client) : 15,
      sendNoContextTakeover: response.has('client_no_context_takeover'),
      receiveNoContextTakeover: response.has('server_no_context_takeover'),
      // The server's messages are inflated with the window it agreed to (§7.1.2.1: it MUST NOT use a larger one).
      receiveWindowBits: typeof serverBits === 'string' ? Number(serverBits) : 15,
    },
    { level: COMPRESSION_LEVEL },
  );
  if (window8) {
    // What a conformant server may do: send uncompressed (RFC 7692 §6 allows it per message) or compress within 256 octets, which zlib ≥ 1.2.9 cannot.
    return { verdict: Verdict.INFORMATIONAL, reason: `Accepted server_max_window_bits=8 (${lines.join(', ')}): valid, but zlib ≥ 1.2.9 cannot deflate with 8; the server must send uncompressed or keep to 256 octets itself (its messages are inflated with a window of 8)`, codec };
  }
  return { verdict: Verdict.OK, reason: `Accepted: ${lines.join(', ')}`, codec };
}

/** After the answer: three compressed messages echoed (or plain ones, when the offer was declined). */
function echoThree(run: CaseRun): void {
  const message = text(MESSAGE);
  run.expect(Verdict.OK, Array.from({ length: ROUNDS }, () => ['message', message, false] as ['message', Buffer, boolean]));
  run.expectedClose = CLEAN_CLOSE;
  for (let i = 0; i < ROUNDS; i++) run.peer.sendMessage(message, false);
  run.peer.killAfter(3);
}

interface NegotiationCase {
  sub: number;
  offer: string;
  description: string;
  /** The verdict when the server declines every offer. */
  decline: Judgement;
}

const UNIMPLEMENTED: Judgement = { verdict: Verdict.UNIMPLEMENTED, reason: 'Declined a valid offer: permessage-deflate (RFC 7692) is not implemented, or not this configuration' };
const DECLINE_RIGHT: Judgement = { verdict: Verdict.OK, reason: 'Declined, as RFC 7692 §7.1 requires for an invalid offer' };
const DECLINE_OK = (why: string): Judgement => ({ verdict: Verdict.OK, reason: `Declined: ${why}` });

const GROUPS: NegotiationCase[][] = [
  // 15.1 Valid parameters
  [
    { sub: 1, offer: NAME, description: 'permessage-deflate without parameters.', decline: UNIMPLEMENTED },
    { sub: 2, offer: `${NAME}; client_max_window_bits`, description: 'client_max_window_bits without a value (the client takes any window the server names, RFC 7692 §7.1.2.2).', decline: UNIMPLEMENTED },
    { sub: 3, offer: `${NAME}; server_no_context_takeover`, description: 'server_no_context_takeover: accepted only with it in the answer (RFC 7692 §7.1.1.1).', decline: DECLINE_OK('a server may decline server_no_context_takeover (RFC 7692 §7.1.1.1)') },
    { sub: 4, offer: `${NAME}; client_no_context_takeover`, description: 'client_no_context_takeover (RFC 7692 §7.1.1.2).', decline: UNIMPLEMENTED },
    { sub: 5, offer: `${NAME}; server_no_context_takeover; client_no_context_takeover`, description: 'Both no_context_takeover parameters (RFC 7692 §7.1.1).', decline: DECLINE_OK('a server may decline server_no_context_takeover (RFC 7692 §7.1.1.1)') },
    { sub: 6, offer: `${NAME}; server_max_window_bits=10`, description: 'server_max_window_bits=10: accepted only with a value of 10 or less (RFC 7692 §7.1.2.1).', decline: DECLINE_OK('a server may decline server_max_window_bits (RFC 7692 §7.1.2.1)') },
    { sub: 7, offer: `${NAME}; client_max_window_bits=10`, description: 'client_max_window_bits=10: the answer may name 10 or less (RFC 7692 §7.1.2.2).', decline: UNIMPLEMENTED },
    { sub: 8, offer: `${NAME}; server_max_window_bits=8`, description: 'server_max_window_bits=8, valid in RFC 7692 §7.1.2.1 but not deflatable by zlib ≥ 1.2.9: declining is the safe answer.', decline: DECLINE_OK('zlib ≥ 1.2.9 cannot deflate with a window of 8 bits (RFC 7692 §7.1.2.1 lets a server decline)') },
    { sub: 9, offer: `${NAME}; client_max_window_bits=15; server_max_window_bits=15; client_no_context_takeover; server_no_context_takeover`, description: 'Every parameter at once (RFC 7692 §7.1).', decline: DECLINE_OK('a server may decline server_no_context_takeover (RFC 7692 §7.1.1.1)') },
  ],
  // 15.2 Invalid offers: a server MUST decline them (RFC 7692 §7.1)
  ...[[
    ['server_max_window_bits=7', 'a window below 8 (RFC 7692 §7.1.2.1)'],
    ['server_max_window_bits=16', 'a window above 15 (RFC 7692 §7.1.2.1)'],
    ['server_max_window_bits=abc', 'a window that is not a number (RFC 7692 §7.1.2.1)'],
    ['server_max_window_bits', 'server_max_window_bits without its value (RFC 7692 §7.1.2.1)'],
    ['client_max_window_bits=7', 'client_max_window_bits below 8 (RFC 7692 §7.1.2.2)'],
    ['client_max_window_bits=16', 'client_max_window_bits above 15 (RFC 7692 §7.1.2.2)'],
    ['server_no_context_takeover=1', 'a value on a parameter that has none (RFC 7692 §7.1.1.1)'],
    ['server_no_context_takeover; server_no_context_takeover', 'a parameter twice (RFC 7692 §7.1: "multiple extension parameters with the same name")'],
    ['x_unknown_parameter', 'a parameter RFC 7692 §7.1 does not define'],
  ].map(([params, what], i): NegotiationCase => ({ sub: i + 1, offer: `${NAME}; ${params}`, description: `An invalid offer: ${what}. The server MUST decline it (RFC 7692 §7.1).`, decline: DECLINE_RIGHT }))],
  // 15.3 Several offers
  [
    { sub: 1, offer: `${NAME}; server_max_window_bits=7, ${NAME}`, description: 'An invalid offer, then a plain one: only the second may be accepted (RFC 7692 §7.1, §5).', decline: UNIMPLEMENTED },
    { sub: 2, offer: `${NAME}; server_no_context_takeover, ${NAME}`, description: 'Two valid offers in order of preference: the answer must fit the one accepted (RFC 7692 §5).', decline: UNIMPLEMENTED },
    { sub: 3, offer: `${NAME}, ${NAME}`, description: 'The same offer twice: one permessage-deflate in the answer (RFC 6455 §9.1, RFC 7692 §5).', decline: UNIMPLEMENTED },
    { sub: 4, offer: `x-unknown-extension, ${NAME}`, description: 'An unknown extension, then permessage-deflate: the unknown one must not be answered (RFC 6455 §9.1).', decline: UNIMPLEMENTED },
  ],
];

const TITLES = ['permessage-deflate: valid parameters (servers)', 'permessage-deflate: invalid offers (servers)', 'permessage-deflate: several offers (servers)'];

function negotiationCase(group: number, c: NegotiationCase): CaseDefinition {
  const probe: RequestProbe = {
    head: ({ key, host, resource }) =>
      `GET ${resource} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: ${c.offer}\r\n\r\n`,
    acceptsExtensions: true,
    judge: (answer) => judgeAnswer(c.offer, answer, c.decline),
    codec: (answer) => judgeAnswer(c.offer, answer, c.decline).codec,
  };
  return {
    id: `15.${group}.${c.sub}`,
    description: `Offer "${c.offer}": ${c.description}`,
    expectation: 'An answer that accepts one valid offer as RFC 7692 §7.1 allows, or declines; then three compressed messages echoed with what was agreed.',
    tests: 'server',
    request: probe,
    deadline: 10,
    open: echoThree,
    judge(run) {
      const probeVerdict = run.data.probe as Judgement | undefined;
      if (probeVerdict === undefined) return;
      if (run.behavior !== Verdict.OK) {
        // The echo went wrong: its reason stands, named when it was the agreed window.
        const bits = (probeVerdict as Outcome).codec?.params.receiveWindowBits ?? 15;
        const why = run.peer.localCloseReason ?? ''; // our inflate's failure, sent in our Close frame
        if (bits < 15 && /too far back/.test(why)) {
          run.behavior = Verdict.FAILED;
          run.result = `The server compressed with a larger window than the server_max_window_bits=${bits} it agreed to (RFC 7692 §7.1.2.1): ${why}`;
        }
        return;
      }
      run.behavior = probeVerdict.verdict;
      run.result = `${probeVerdict.reason}; ${ROUNDS} messages echoed`;
    },
  };
}

// ---- clients under test (15.4): our answers to the client's offer

/** A 101 accepting permessage-deflate with `params` (text after the name, or ""). */
const deflateAnswer = (params: string) => (key: string): string =>
  `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(key)}\r\nSec-WebSocket-Extensions: ${NAME}${params}\r\n\r\n`;

interface ClientNegotiation {
  params: string;
  description: string;
  expect: 'accept' | 'fail';
  rule: string;
  acceptedIs?: Verdict;
  /** What we agreed for our side (accept cases). */
  serverBits?: number;
  serverNoContext?: boolean;
  clientNoContext?: boolean;
}

const MUST_FAIL = 'the client MUST _Fail the WebSocket Connection_';
const CLIENT_NEGOTIATIONS: ClientNegotiation[] = [
  { params: '', description: 'A plain permessage-deflate answer.', expect: 'accept', rule: 'RFC 7692 §7.1: the offer accepted as made' },
  { params: '; server_no_context_takeover', description: 'server_no_context_takeover in the answer, asked or not.', expect: 'accept', rule: 'RFC 7692 §7.1.1.1: a server may add server_no_context_takeover', serverNoContext: true },
  { params: '; client_no_context_takeover', description: 'client_no_context_takeover in the answer: the client must not refer to earlier messages (we inflate each alone).', expect: 'accept', rule: 'RFC 7692 §7.1.1.2: a client that offered permessage-deflate must honour client_no_context_takeover', clientNoContext: true },
  { params: '; server_max_window_bits=10', description: 'server_max_window_bits=10 in the answer, asked or not.', expect: 'accept', rule: 'RFC 7692 §7.1.2.1: a server may name its window even when not asked', serverBits: 10 },
  { params: '; server_max_window_bits=7', description: 'server_max_window_bits=7: not a valid value.', expect: 'fail', rule: `RFC 7692 §7.1.2.1 (8–15), §7.1: on an invalid response ${MUST_FAIL}` },
  { params: '; server_no_context_takeover; server_no_context_takeover', description: 'A parameter twice.', expect: 'fail', rule: `RFC 7692 §7.1: a response with a parameter twice is invalid, and ${MUST_FAIL}` },
  { params: '; x_unknown_parameter', description: 'A parameter RFC 7692 does not define.', expect: 'fail', rule: `RFC 7692 §7.1: an unknown parameter in the response means ${MUST_FAIL}` },
  { params: '; client_max_window_bits', description: 'client_max_window_bits without a value in the answer.', expect: 'fail', rule: `RFC 7692 §7.1.2.2: a response gives client_max_window_bits a value; otherwise ${MUST_FAIL}` },
  {
    params: `, ${NAME}`, description: 'Two permessage-deflate elements in the answer.', expect: 'fail', acceptedIs: Verdict.NON_STRICT,
    rule: 'RFC 6455 §9.1: the answer lists the extensions in use, and one extension cannot be in use twice; RFC 7692 §7.1 lists no client check for it, so taking the first is NON-STRICT',
  },
];

const clientNegotiationCases: CaseDefinition[] = CLIENT_NEGOTIATIONS.map((c, i) => {
  const definition = clientProbeCase(`15.4.${i + 1}`, {
    description: `Answer "${NAME}${c.params}" to the client's offer: ${c.description}`,
    head: deflateAnswer(c.params),
    expect: c.expect,
    rule: c.rule,
    acceptedIs: c.acceptedIs,
    needsDeflateOffer: true,
    codec: () => new PerMessageDeflate({ sendWindowBits: c.serverBits ?? 15, sendNoContextTakeover: c.serverNoContext ?? false, receiveNoContextTakeover: c.clientNoContext ?? false }, { level: COMPRESSION_LEVEL }),
    echo: echoThree,
    mayRefuse: c.params === '' ? undefined : 'RFC 7692 §7.1 lets a client refuse a configuration it does not support',
  });
  return definition;
});

export const negotiationCases: CaseDefinition[] = [...GROUPS.flatMap((group, i) => group.map((c) => negotiationCase(i + 1, c))), ...clientNegotiationCases];

export const NEGOTIATION_TITLES: Record<string, string> = {
  ...Object.fromEntries(TITLES.map((title, i) => [`15.${i + 1}`, title])),
  '15.4': 'permessage-deflate: our answers (clients)',
};
