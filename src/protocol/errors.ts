import { CloseCode } from './close-codes.js';

/**
 * Every failure the engine reports: a stable string `code` for tests and
 * callers, and the close code the connection is failed with (§7.1.7).
 */
/** Why a connection failed or a send could not complete: `WebSocketError.code`. */
export type WebSocketErrorCode =
  // The peer broke RFC 6455 (close code 1002)
  | ProtocolErrorCode
  | 'WS_ERR_INVALID_UTF8' // text that is not UTF-8 (1007)
  | 'WS_ERR_MESSAGE_TOO_BIG' // over maxMessageSize (1009)
  | 'WS_ERR_INFLATE' // a compressed message that does not inflate (1007)
  | 'WS_ERR_KEEPALIVE_TIMEOUT' // no Pong within pingTimeout (1011)
  | 'WS_ERR_HANDLER' // the server's handler threw (1011)
  | 'WS_ERR_INTERNAL' // our own bug or a callback's: that one connection fails (1011)
  | 'WS_ERR_NOT_OPEN' // a send after we sent or received a Close frame
  | 'WS_ERR_CLOSED'; // a send the connection's end overtook: carries its close code and reason

/** The peer's violations of RFC 6455 §5: each fails the connection with 1002. */
export type ProtocolErrorCode =
  | 'WS_ERR_EXPECTED_MASK'
  | 'WS_ERR_UNEXPECTED_MASK'
  | 'WS_ERR_UNEXPECTED_RSV'
  | 'WS_ERR_INVALID_OPCODE'
  | 'WS_ERR_INVALID_LENGTH'
  | 'WS_ERR_FRAGMENTED_CONTROL'
  | 'WS_ERR_CONTROL_TOO_LONG'
  | 'WS_ERR_UNEXPECTED_CONTINUATION'
  | 'WS_ERR_EXPECTED_CONTINUATION'
  | 'WS_ERR_INVALID_CLOSE_FRAME'
  | 'WS_ERR_INVALID_CLOSE_CODE';

export class WebSocketError extends Error {
  override name = 'WebSocketError';
  /**
   * The reason sent in our Close frame. Unset: the message, except for 1011
   * where nothing is sent, since an internal failure's message may carry
   * internals (python-websockets withholds it too).
   */
  readonly closeReason: string | undefined;

  constructor(
    readonly code: WebSocketErrorCode,
    readonly closeCode: number,
    message: string,
    options?: { cause?: unknown; closeReason?: string },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.closeReason = options?.closeReason;
  }
}

/** RFC 6455 violation by the peer: fails the connection with 1002. */
export const protocolError = (code: ProtocolErrorCode, message: string): WebSocketError =>
  new WebSocketError(code, CloseCode.PROTOCOL_ERROR, message);

/** Text that is not UTF-8 (§8.1): fails the connection with 1007. */
export const invalidUtf8 = (message: string): WebSocketError =>
  new WebSocketError('WS_ERR_INVALID_UTF8', CloseCode.INVALID_PAYLOAD, message);

/** A message over the configured size limit (§10.4): fails with 1009. */
export const tooBig = (limit: number): WebSocketError =>
  new WebSocketError('WS_ERR_MESSAGE_TOO_BIG', CloseCode.MESSAGE_TOO_BIG, `message exceeds the size limit of ${limit} bytes`);

/**
 * Anything thrown that is not a WebSocketError is our own bug (or a user
 * callback's): it fails that one connection with 1011, the original error
 * as `cause`, instead of escaping into a socket listener and ending the process.
 */
export const internalError = (cause: unknown): WebSocketError =>
  new WebSocketError('WS_ERR_INTERNAL', CloseCode.INTERNAL_ERROR, `internal error: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });

/**
 * A send that could not complete because the connection ended first: it
 * carries the close code and reason (python-websockets: ConnectionClosed).
 */
export const connectionClosed = (code: number, reason: string): WebSocketError =>
  new WebSocketError('WS_ERR_CLOSED', code, `the connection closed (${code}${reason === '' ? '' : ` ${reason}`}) before the message was sent`);
