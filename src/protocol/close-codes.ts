/** Close status codes, RFC 6455 §7.4.1 and the IANA registry. */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  UNSUPPORTED_DATA: 1003,
  /** Reserved: "no status code was present". Never sent on the wire (§7.4.1). */
  NO_STATUS: 1005,
  /** Reserved: the connection dropped without a Close frame. Never sent on the wire. */
  ABNORMAL: 1006,
  INVALID_PAYLOAD: 1007,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  MANDATORY_EXTENSION: 1010,
  INTERNAL_ERROR: 1011,
  SERVICE_RESTART: 1012,
  TRY_AGAIN_LATER: 1013,
  BAD_GATEWAY: 1014,
  /** Reserved: TLS handshake failure. Never sent on the wire. */
  TLS_HANDSHAKE: 1015,
} as const;

/**
 * Whether `code` may appear in a Close frame (§7.4.1, §7.4.2): the registered
 * codes except the three reserved for local reporting (1005, 1006, 1015),
 * and the 3000–4999 ranges for libraries and applications. 1004 is reserved,
 * 1016–2999 are unassigned protocol codes, so a peer sending them fails.
 */
export function isValidWireCloseCode(code: number): boolean {
  if (code >= 3000 && code <= 4999) return true;
  return code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006;
}
