import { bytes, peerFails, text, type CaseDefinition } from './common.js';
import type { RawFrame } from '../raw-frame.js';

const HELLO = text('Hello, world!');

/** How the frames of a case go onto the wire. */
type Writing = 'together' | 'sync' | 'octets';
const writing = (how: Writing): Partial<RawFrame> => (how === 'sync' ? { sync: true } : how === 'octets' ? { chopSize: 1 } : {});
const WRITING_TEXT: Record<Writing, string> = { together: '', sync: ' Each frame is written on its own.', octets: ' Written octet by octet.' };

/** One bad frame and nothing else: the peer fails the connection. */
function badFrame(id: string, description: string, frame: RawFrame): CaseDefinition {
  return {
    id,
    description,
    expectation: 'The peer fails the connection with 1002 at once.',
    open(run) {
      run.expect('OK', []);
      run.expectedClose = peerFails();
      run.peer.sendFrame(frame);
      run.peer.killAfter(1);
    },
  };
}

/**
 * A good text message, a bad frame, then a Ping: the message is echoed, the
 * connection is failed on the bad frame, and the Ping gets no Pong. A peer
 * that fails before echoing (it read ahead) is NON-STRICT.
 */
function badFrameBetween(id: string, description: string, bad: RawFrame, how: Writing): CaseDefinition {
  return {
    id,
    description: `${description}${WRITING_TEXT[how]}`,
    expectation: 'The text message is echoed, then the peer fails the connection with 1002; no Pong comes.',
    open(run) {
      run.expect('OK', [['message', HELLO, false]]);
      run.expect('NON-STRICT', []);
      run.expectedClose = peerFails();
      const style = writing(how);
      run.peer.sendFrame({ opcode: 1, payload: HELLO, ...style });
      run.peer.sendFrame({ ...bad, ...style });
      run.peer.sendFrame({ opcode: 9, ...style });
      run.peer.killAfter(1);
    },
  };
}

/** Category 3: RSV bits set with no extension negotiated (RFC 6455 §5.2). */
export const reservedBitCases: CaseDefinition[] = [
  badFrame('3.1', 'A text message with RSV = 1.', { opcode: 1, payload: HELLO, rsv: 1 }),
  badFrameBetween('3.2', 'A text message, then one with RSV = 2, then a Ping.', { opcode: 1, payload: HELLO, rsv: 2 }, 'together'),
  badFrameBetween('3.3', 'A text message, then one with RSV = 3, then a Ping.', { opcode: 1, payload: HELLO, rsv: 3 }, 'sync'),
  badFrameBetween('3.4', 'A text message, then one with RSV = 4, then a Ping.', { opcode: 1, payload: HELLO, rsv: 4 }, 'octets'),
  badFrame('3.5', 'A binary message with RSV = 5.', { opcode: 2, payload: bytes(0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff), rsv: 5 }),
  // The suite's text for 3.6 says Ping, but it sends a binary frame; we send what it sends.
  badFrame('3.6', 'A small binary message with RSV = 6.', { opcode: 2, payload: HELLO, rsv: 6 }),
  badFrame('3.7', 'A Close with RSV = 7.', { opcode: 8, rsv: 7 }),
];

const RESERVED_PAYLOAD = text('reserved opcode payload');

/** Category 4: reserved opcodes (RFC 6455 §5.2: "MUST _Fail the WebSocket Connection_"). */
export const opcodeCases: CaseDefinition[] = [
  badFrame('4.1.1', 'A frame with reserved non-control opcode 3.', { opcode: 3 }),
  badFrame('4.1.2', 'A frame with reserved non-control opcode 4 and a payload.', { opcode: 4, payload: RESERVED_PAYLOAD }),
  badFrameBetween('4.1.3', 'A text message, a frame with reserved opcode 5, then a Ping.', { opcode: 5 }, 'together'),
  badFrameBetween('4.1.4', 'A text message, a frame with reserved opcode 6 and a payload, then a Ping.', { opcode: 6, payload: HELLO }, 'together'),
  badFrameBetween('4.1.5', 'A text message, a frame with reserved opcode 7 and a payload, then a Ping.', { opcode: 7, payload: HELLO }, 'octets'),
  badFrame('4.2.1', 'A frame with reserved control opcode 11.', { opcode: 11 }),
  badFrame('4.2.2', 'A frame with reserved control opcode 12 and a payload.', { opcode: 12, payload: RESERVED_PAYLOAD }),
  badFrameBetween('4.2.3', 'A text message, a frame with reserved control opcode 13, then a Ping.', { opcode: 13 }, 'together'),
  badFrameBetween('4.2.4', 'A text message, a frame with reserved control opcode 14 and a payload, then a Ping.', { opcode: 14, payload: HELLO }, 'together'),
  badFrameBetween('4.2.5', 'A text message, a frame with reserved control opcode 15 and a payload, then a Ping.', { opcode: 15, payload: HELLO }, 'octets'),
];
