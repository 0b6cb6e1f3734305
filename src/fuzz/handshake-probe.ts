import { Verdict } from './case.js';
import type { PerMessageDeflate } from '../protocol/deflate.js';

/**
 * The opening-handshake cases (category 14): what we send instead of the
 * plain handshake, and how the other side's answer is judged. No I/O here:
 * against-server.ts and against-client.ts put these on the wire.
 */

/** What a server answered to a probe request. */
export interface HandshakeAnswer {
  /** The status, or null when the server closed or went quiet without a complete, parseable head. */
  status: number | null;
  /** Why there is no status (closed, timed out, not HTTP). */
  problem: string | null;
  /** Header lines as received: [lower-cased name, value], repeated names kept. */
  lines: Array<[string, string]>;
  /** For a 101: why it is not a valid switch for our key (§4.1 client checks), or null when it is. */
  switchProblem: string | null;
}

export type Judgement = {
  verdict: Verdict;
  reason: string;
  /** The answer alone decides the case: nothing is played after a 101. */
  final?: boolean;
};

/** A request we send to a server under test instead of the plain one. */
export interface RequestProbe {
  /** The request head, blank line included, for our key and the target's Host and resource. */
  head(target: { key: string; host: string; resource: string }): string;
  /** Written one octet per turn of the event loop. */
  byteByByte?: boolean;
  /** A text message written as a masked frame in the same segment as the head. */
  pipelined?: string;
  /** The verdict on the answer; a valid 101 then goes on to the case's echo check. */
  judge(answer: HandshakeAnswer): Judgement;
  /** Extensions in the 101 are for `judge` to check (category 15), not a fault in themselves. */
  acceptsExtensions?: boolean;
  /** The permessage-deflate codec the answer agreed on, for the messages after it. */
  codec?(answer: HandshakeAnswer): PerMessageDeflate | null;
}

/** An answer we give a client under test instead of the plain 101. */
export interface ResponseProbe {
  /** The response head, blank line included, for the client's key. */
  head(key: string): string;
  /** Written one octet per turn of the event loop. */
  byteByByte?: boolean;
  /** The first message goes in the same segment as the head. */
  pipelined?: boolean;
  expect: ClientExpectation;
  /** The rule the client is held to, for the report. */
  rule: string;
  /** Category 15: the case needs the client to offer permessage-deflate; without an offer it is UNIMPLEMENTED. */
  needsDeflateOffer?: boolean;
  /** The codec our answer agreed on, for the messages after it. */
  codec?(): PerMessageDeflate;
}

/** The values of a header, in order (repeated lines and comma lists both split). */
export function headerValues(answer: HandshakeAnswer, name: string): string[] {
  return answer.lines.filter(([n]) => n === name).flatMap(([, v]) => v.split(',')).map((v) => v.trim()).filter(Boolean);
}

const isRefusal = (status: number | null): boolean => status !== null && status >= 400 && status <= 499;

/** A 101 that is a valid switch: the server accepted. */
export const accepted = (answer: HandshakeAnswer): boolean => answer.status === 101 && answer.switchProblem === null;

/**
 * How a server request the RFC makes invalid is judged: any 4xx is right
 * (§4.2.1: "an appropriate error code (such as 400 Bad Request)"), a 101
 * breaks the MUST, anything else is not what the RFC asks but does no harm.
 */
export function mustRefuse(rule: string) {
  return (answer: HandshakeAnswer): Judgement => {
    if (answer.status === 101) return { verdict: Verdict.FAILED, reason: `The server opened the connection; ${rule}` };
    if (isRefusal(answer.status)) return { verdict: Verdict.OK, reason: `Refused with ${answer.status}, as ${rule}` };
    if (answer.status === null) return { verdict: Verdict.NON_STRICT, reason: `No HTTP error answer (${answer.problem}); ${rule}, with an error status (RFC 6455 §4.2.1)` };
    return { verdict: Verdict.NON_STRICT, reason: `Answered ${answer.status}, not a 4xx error; ${rule}` };
  };
}

/** A request the server MUST accept: a valid 101, and then the echo check decides. */
export function mustAccept(rule: string) {
  return (answer: HandshakeAnswer): Judgement => {
    if (accepted(answer)) return { verdict: Verdict.OK, reason: `Accepted, as ${rule}` };
    if (answer.status === 101) return { verdict: Verdict.FAILED, reason: `An invalid 101: ${answer.switchProblem}` };
    return { verdict: Verdict.FAILED, reason: `${answer.status === null ? `No answer (${answer.problem})` : `Refused with ${answer.status}`}; ${rule}` };
  };
}

/**
 * An unsupported Sec-WebSocket-Version (§4.4): the server MUST NOT open,
 * and answers "such as 426" with a Sec-WebSocket-Version header naming
 * what it speaks (§4.2.2 step 4 / §4.4).
 */
export function versionRefusal(answer: HandshakeAnswer): Judgement {
  if (answer.status === 101) return { verdict: Verdict.FAILED, reason: 'The server opened the connection for a version that does not exist (RFC 6455 §4.4: it MUST abort the handshake)' };
  const versions = headerValues(answer, 'sec-websocket-version');
  if (isRefusal(answer.status) && versions.includes('13')) return { verdict: Verdict.OK, reason: `Refused with ${answer.status} and Sec-WebSocket-Version: ${versions.join(', ')}` };
  if (isRefusal(answer.status)) return { verdict: Verdict.NON_STRICT, reason: `Refused with ${answer.status} but without a Sec-WebSocket-Version header naming 13 (RFC 6455 §4.4)` };
  return { verdict: Verdict.NON_STRICT, reason: `${answer.status === null ? `No answer (${answer.problem})` : `Answered ${answer.status}`}; RFC 6455 §4.4 asks for an error such as 426 with Sec-WebSocket-Version` };
}

/**
 * Version 8 (draft hybi-08): a server that still speaks it may accept
 * (RFC 6455 §4.4 lets a server support several versions); one that does
 * not must refuse as for any other version.
 */
export function draftVersion(answer: HandshakeAnswer): Judgement {
  if (answer.status === 101) return { verdict: Verdict.INFORMATIONAL, reason: 'Opened the connection: the server speaks draft version 8 too, which RFC 6455 §4.4 allows' };
  return versionRefusal(answer);
}

/** Requests a server may accept or refuse as too large: either is right, if it answers. */
export function mayRefuseSize(answer: HandshakeAnswer): Judgement {
  if (accepted(answer)) return { verdict: Verdict.OK, reason: 'Accepted' };
  if (answer.status !== null && [400, 413, 414, 431].includes(answer.status)) return { verdict: Verdict.OK, reason: `Refused with ${answer.status} (RFC 6585 §5: 431 is the status for header fields too large)` };
  return { verdict: Verdict.NON_STRICT, reason: `${answer.status === null ? `No answer (${answer.problem})` : `Answered ${answer.status}`}: a server that refuses a large head should say so with 431 (RFC 6585 §5) or 400` };
}

/** Origin: the server MAY refuse an origin it does not like (§4.2.2 step 4 / §10.2); accepting is the norm. */
export function originAnswer(answer: HandshakeAnswer): Judgement {
  if (accepted(answer)) return { verdict: Verdict.OK, reason: 'Accepted' };
  if (answer.status === 403) return { verdict: Verdict.INFORMATIONAL, reason: 'Refused with 403: the server checks Origin (RFC 6455 §10.2 allows it)' };
  return mustAccept('RFC 6455 §4.2.2 makes Origin a server\'s choice, answered with 403 when it refuses')(answer);
}

/**
 * Subprotocol offers (§4.2.2 step 5.5, §11.3.4): a server that picks one
 * answers exactly one value, one the client offered; a server that picks
 * none sends no header. Refusing the connection is its right, and noted.
 */
export function subprotocolAnswer(offered: readonly string[], { refusalIsRight = false } = {}) {
  return (answer: HandshakeAnswer): Judgement => {
    if (answer.status !== 101) {
      if (isRefusal(answer.status)) return { verdict: refusalIsRight ? Verdict.OK : Verdict.INFORMATIONAL, reason: `Refused with ${answer.status}` };
      return mustAccept('a subprotocol offer does not make a request invalid (RFC 6455 §4.2.2)')(answer);
    }
    if (answer.switchProblem !== null) return { verdict: Verdict.FAILED, reason: `An invalid 101: ${answer.switchProblem}` };
    const lines = answer.lines.filter(([n]) => n === 'sec-websocket-protocol');
    if (lines.length === 0) return { verdict: Verdict.OK, reason: 'Accepted without choosing a subprotocol' };
    const chosen = lines.map(([, v]) => v.trim());
    if (lines.length > 1 || chosen[0].includes(',')) return { verdict: Verdict.FAILED, reason: `Answered more than one subprotocol (${chosen.join(' | ')}): RFC 6455 §11.3.4 allows one value, once` };
    if (!offered.includes(chosen[0])) return { verdict: Verdict.FAILED, reason: `Chose ${JSON.stringify(chosen[0])}, which was not offered (RFC 6455 §4.2.2 step 5.5: one of the client's values)` };
    return { verdict: Verdict.OK, reason: `Chose ${JSON.stringify(chosen[0])}, one of those offered` };
  };
}

/** How a client must treat our answer (category 14, clients under test). */
export type ClientExpectation =
  /** A conformant client goes on: it must echo the message we send. */
  | 'accept'
  /** A conformant client MUST fail the connection: no echo, TCP closed. */
  | 'fail';
