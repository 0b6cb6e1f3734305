import { parseExtensions, type Extension } from '../protocol/extensions.js';
import { PerMessageDeflate, type DeflateParams } from '../protocol/deflate.js';

/**
 * permessage-deflate negotiation as the suite's endpoint does it (RFC 7692
 * §7.1), for categories 12 and 13: which offers we make when we are the
 * client, which offer we accept (and with which requests) when we are the
 * server, and the codec that results, from the protocol core.
 */

const NAME = 'permessage-deflate';
const DEFAULT_BITS = 15;
/**
 * We compress at zlib level 1 (the suite uses the default, 6): three times
 * faster for 12.x and 13.x, and any valid deflate stream tests the peer's
 * inflater alike, so the verdicts do not change.
 */
export const COMPRESSION_LEVEL = 1;

/** The suite takes window sizes 9 to 15 (zlib cannot do 8 in raw deflate). */
const WINDOW_BITS = /^(9|1[0-5])$/;

/** What a client offers. */
export interface Offer {
  /** It takes client_no_context_takeover if asked (the suite's parser assumes yes). */
  acceptNoContextTakeover: boolean;
  /** It said client_max_window_bits: the server may shrink the client's window. */
  acceptMaxWindowBits: boolean;
  /** server_no_context_takeover */
  requestNoContextTakeover: boolean;
  /** server_max_window_bits, 0 when absent */
  requestMaxWindowBits: number;
}

/** The offer the suite's default makes: "we take both requests, ask for nothing". */
export const DEFAULT_OFFER: Offer = { acceptNoContextTakeover: true, acceptMaxWindowBits: true, requestNoContextTakeover: false, requestMaxWindowBits: 0 };

/** A client's offer as header text. */
export function offerText(offer: Offer): string {
  let text = NAME;
  if (offer.acceptNoContextTakeover) text += '; client_no_context_takeover';
  if (offer.acceptMaxWindowBits) text += '; client_max_window_bits';
  if (offer.requestNoContextTakeover) text += '; server_no_context_takeover';
  if (offer.requestMaxWindowBits !== 0) text += `; server_max_window_bits=${offer.requestMaxWindowBits}`;
  return text;
}

/** How a server accepts one offer: what it grants, and what it asks of the client. */
export interface Acceptance {
  offer: Offer;
  /** client_no_context_takeover in the response */
  requestNoContextTakeover: boolean;
  /** client_max_window_bits=N in the response, 0 for none */
  requestMaxWindowBits: number;
}

/** A server's choice among the offers; null declines them all. */
export type AcceptPolicy = (offers: Offer[]) => Acceptance | null;

/** Reads one offer; throws on what the suite's server refuses the handshake for. */
function readOffer(extension: Extension): Offer {
  const offer: Offer = { acceptNoContextTakeover: true, acceptMaxWindowBits: false, requestNoContextTakeover: false, requestMaxWindowBits: 0 };
  const seen = new Set<string>();
  for (const [name, value] of extension.params) {
    if (seen.has(name)) throw new SyntaxError(`parameter ${name} appears twice in a permessage-deflate offer`);
    seen.add(name);
    if (name === 'client_max_window_bits') {
      if (value !== true && !WINDOW_BITS.test(value)) throw new SyntaxError(`client_max_window_bits=${value} is not 9–15`);
      offer.acceptMaxWindowBits = true;
    } else if (name === 'client_no_context_takeover' && value === true) {
      offer.acceptNoContextTakeover = true;
    } else if (name === 'server_max_window_bits' && value !== true && WINDOW_BITS.test(value)) {
      offer.requestMaxWindowBits = Number(value);
    } else if (name === 'server_no_context_takeover' && value === true) {
      offer.requestNoContextTakeover = true;
    } else {
      throw new SyntaxError(`invalid permessage-deflate parameter ${name}${value === true ? '' : `=${value}`}`);
    }
  }
  return offer;
}

/** The server side: the client's offers, in order; throws SyntaxError for a malformed one. */
export function readOffers(header: string | undefined): Offer[] {
  if (header === undefined) return [];
  return parseExtensions(header).filter((e) => e.name === NAME).map(readOffer);
}

/** The server's response header and its codec for an accepted offer. */
export function acceptOffer(acceptance: Acceptance): { response: string; codec: PerMessageDeflate } {
  const { offer } = acceptance;
  let response = NAME;
  if (offer.requestNoContextTakeover) response += '; server_no_context_takeover';
  if (offer.requestMaxWindowBits !== 0) response += `; server_max_window_bits=${offer.requestMaxWindowBits}`;
  if (acceptance.requestNoContextTakeover) response += '; client_no_context_takeover';
  if (acceptance.requestMaxWindowBits !== 0) response += `; client_max_window_bits=${acceptance.requestMaxWindowBits}`;
  const params: DeflateParams = {
    sendWindowBits: offer.requestMaxWindowBits || DEFAULT_BITS,
    sendNoContextTakeover: offer.requestNoContextTakeover,
    receiveNoContextTakeover: acceptance.requestNoContextTakeover,
  };
  return { response, codec: new PerMessageDeflate(params, { level: COMPRESSION_LEVEL }) };
}

/**
 * The client side: the codec for the server's response, null when it
 * accepted nothing. Throws when the response is one we must refuse.
 */
export function readResponse(header: string | undefined): PerMessageDeflate | null {
  if (header === undefined) return null;
  const extensions = parseExtensions(header);
  if (extensions.length === 0) return null;
  if (extensions.length > 1 || extensions[0].name !== NAME) throw new SyntaxError(`the server accepted extensions we did not offer: ${header}`);
  let clientBits = DEFAULT_BITS;
  let clientNoContext = false;
  let serverNoContext = false;
  for (const [name, value] of extensions[0].params) {
    if (name === 'client_max_window_bits' && value !== true && WINDOW_BITS.test(value)) clientBits = Number(value);
    else if (name === 'client_no_context_takeover' && value === true) clientNoContext = true;
    else if (name === 'server_no_context_takeover' && value === true) serverNoContext = true;
    else if (name === 'server_max_window_bits' && value !== true && WINDOW_BITS.test(value)) continue;
    else throw new SyntaxError(`invalid permessage-deflate response parameter ${name}${value === true ? '' : `=${value}`}`);
  }
  return new PerMessageDeflate({ sendWindowBits: clientBits, sendNoContextTakeover: clientNoContext, receiveNoContextTakeover: serverNoContext }, { level: COMPRESSION_LEVEL });
}
