/** Frame opcodes, RFC 6455 §5.2. 0x3–0x7 and 0xB–0xF are reserved. */
export const Opcode = {
  CONTINUATION: 0x0,
  TEXT: 0x1,
  BINARY: 0x2,
  CLOSE: 0x8,
  PING: 0x9,
  PONG: 0xa,
} as const;

export const isControl = (opcode: number): boolean => (opcode & 0x8) !== 0;

export const isKnownOpcode = (opcode: number): boolean => opcode <= 0x2 || (opcode >= 0x8 && opcode <= 0xa);
