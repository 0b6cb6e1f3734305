import { isToken } from './extensions.js';

/**
 * Subprotocol negotiation (RFC 6455 §1.9, §4.1, §4.2.2): the client offers a
 * list of tokens in Sec-WebSocket-Protocol, the server picks at most one.
 */

/**
 * Checks what a caller offers or supports: one token or a list of distinct
 * tokens. Throws a TypeError naming the bad value, before anything is sent.
 */
export function checkProtocols(value: unknown, what = 'protocols'): string[] {
  if (value === undefined || value === null) return [];
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list)) throw new TypeError(`${what} must be a string or a list of strings`);
  const seen = new Set<string>();
  for (const item of list) {
    if (typeof item !== 'string' || !isToken(item)) {
      throw new TypeError(`invalid subprotocol ${JSON.stringify(item)} in ${what}: each must be an HTTP token (RFC 6455 §4.1)`);
    }
    if (seen.has(item)) throw new TypeError(`subprotocol ${JSON.stringify(item)} is listed twice in ${what}`);
    seen.add(item);
  }
  return list as string[];
}

/** The values of a Sec-WebSocket-Protocol header (repeated headers already joined with ","). */
export function parseProtocolHeader(header: string | undefined): string[] {
  if (header === undefined) return [];
  return header.split(',').map((item) => item.trim()).filter((item) => item !== '');
}

/**
 * The server's choice: the first of `supported` (its order of preference)
 * that the client offered, or "" when they share none — then the 101 carries
 * no Sec-WebSocket-Protocol at all (§4.2.2 step 5.4).
 */
export function selectProtocol(offered: readonly string[], supported: readonly string[]): string {
  for (const protocol of supported) if (offered.includes(protocol)) return protocol;
  return '';
}
