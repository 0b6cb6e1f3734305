import { CLEAN_CLOSE, filled, type CaseDefinition } from './common.js';

const SIZES = [0, 125, 126, 127, 128, 65535, 65536];

/**
 * Category 1: messages of the sizes around the 7-bit, 16-bit and 64-bit
 * length encodings (RFC 6455 §5.2), echoed back; the last one written in
 * 997-octet pieces.
 */
function family(sub: number, binary: boolean): CaseDefinition[] {
  const kind = binary ? 'binary' : 'text';
  const octet = binary ? 0xfe : 0x2a; // '*'
  const cases = [...SIZES.map((size) => ({ size, chop: 0 })), { size: 65536, chop: 997 }];
  return cases.map(({ size, chop }, i) => ({
    id: `1.${sub}.${i + 1}`,
    description: `A ${kind} message of ${size} octets in one frame${chop ? `, written to the socket in pieces of ${chop} octets` : ''}.`,
    expectation: `The same ${kind} message comes back; we close with 1000 and the peer answers cleanly.`,
    open(run) {
      const payload = filled(octet, size);
      run.expect('OK', [['message', payload, binary]]);
      run.expectedClose = CLEAN_CLOSE;
      run.peer.sendFrame({ opcode: binary ? 2 : 1, payload, chopSize: chop || undefined });
      run.peer.killAfter(size > 128 ? 10 : 1);
    },
  }));
}

export const framingCases: CaseDefinition[] = [...family(1, false), ...family(2, true)];
