/** Exit statuses of the CLI, and how a close code maps to one (listed in `connect --help`). */
import { CloseCode } from '../protocol/close-codes.js';

export const Exit = {
  OK: 0,
  /** Something unexpected in the CLI itself. */
  ERROR: 1,
  USAGE: 2,
  /** DNS, TCP, TLS, proxy or the opening handshake failed. */
  CONNECT_FAILED: 3,
  /** The connection dropped without a closing handshake (1006). */
  ABNORMAL_CLOSE: 4,
  /** Closed for a protocol or data error, by either side: 1002, 1003, 1007, 1009, 1010. */
  PROTOCOL_CLOSE: 5,
  /** Closed because the server failed or is restarting: 1011–1014. */
  SERVER_CLOSE: 6,
  /** Closed with any other code: 1008 (policy), 3000–4999 (libraries and applications). */
  OTHER_CLOSE: 7,
} as const;

const PROTOCOL_CODES: ReadonlySet<number> = new Set([
  CloseCode.PROTOCOL_ERROR, CloseCode.UNSUPPORTED_DATA, CloseCode.INVALID_PAYLOAD, CloseCode.MESSAGE_TOO_BIG, CloseCode.MANDATORY_EXTENSION,
]);

/**
 * 1000 and 1001 are the normal ends (as python-websockets' ConnectionClosedOK);
 * so is a Close frame without a code (1005), which the RFC allows a peer to send.
 */
export function exitCodeForClose(code: number): number {
  if (code === CloseCode.NORMAL || code === CloseCode.GOING_AWAY || code === CloseCode.NO_STATUS) return Exit.OK;
  if (code === CloseCode.ABNORMAL || code === CloseCode.TLS_HANDSHAKE) return Exit.ABNORMAL_CLOSE;
  if (PROTOCOL_CODES.has(code)) return Exit.PROTOCOL_CLOSE;
  if (code >= CloseCode.INTERNAL_ERROR && code <= CloseCode.BAD_GATEWAY) return Exit.SERVER_CLOSE;
  return Exit.OTHER_CLOSE;
}

export const EXIT_CODES_HELP = `exit status:
  0  normal close: 1000, 1001 (or a Close frame without a code, 1005)
  1  unexpected error in scriptling-ws
  2  usage error: bad or missing arguments, a URL that is not ws:// or wss://,
     or an input record that was not valid --hex/--base64 (it was not sent)
  3  connect failed: DNS, TCP, TLS, proxy, timeout or the opening handshake (e.g. HTTP 403)
  4  abnormal close: the connection dropped without a Close frame (1006)
  5  closed for a protocol or data error: 1002, 1003, 1007, 1009, 1010
  6  closed because the server failed or is restarting: 1011, 1012, 1013, 1014
  7  closed with another code: 1008, 3000-4999`;
