import { CloseCode } from './close-codes.js';

/**
 * Every failure the engine reports: a stable string `code` for tests and
 * callers, and the close code the connection is failed with (§7.1.7).
 */
export class WebSocketError extends Error {
  override name = 'WebSocketError';
  constructor(
    readonly code: string,
    readonly closeCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** RFC 6455 violation by the peer: fails the connection with 1002. */
export const protocolError = (code: string, message: string): WebSocketError =>
  new WebSocketError(code, CloseCode.PROTOCOL_ERROR, message);

/** Text that is not UTF-8 (§8.1): fails the connection with 1007. */
export const invalidUtf8 = (message: string): WebSocketError =>
  new WebSocketError('WS_ERR_INVALID_UTF8', CloseCode.INVALID_PAYLOAD, message);

/** A message over the configured size limit (§10.4): fails with 1009. */
export const tooBig = (limit: number): WebSocketError =>
  new WebSocketError('WS_ERR_MESSAGE_TOO_BIG', CloseCode.MESSAGE_TOO_BIG, `message exceeds the size limit of ${limit} bytes`);
