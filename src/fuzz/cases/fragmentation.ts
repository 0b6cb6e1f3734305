import { CLEAN_CLOSE, peerFails, text, type CaseDefinition } from './common.js';
import type { RawFrame } from '../raw-frame.js';

const F = [1, 2, 3, 4, 5].map((i) => text(`fragment${i}`));
const PING = text('ping payload');
const NON_CONTINUATION = text('non-continuation payload');
const HELLO = text('Hello, world!');

type Writing = Partial<Pick<RawFrame, 'sync' | 'chopSize'>>;
const STYLES: Array<[Writing, string]> = [
  [{}, ''],
  [{ sync: true }, ' Each frame is written on its own.'],
  [{ chopSize: 1 }, ' Written octet by octet.'],
];

function failing(id: string, description: string, frames: RawFrame[], expectation = 'The peer fails the connection with 1002 (RFC 6455 §5.4).'): CaseDefinition {
  return {
    id,
    description,
    expectation,
    open(run) {
      run.expect('OK', []);
      run.expectedClose = peerFails();
      for (const frame of frames) run.peer.sendFrame(frame);
      run.peer.killAfter(1);
    },
  };
}

/** Three writing styles of one good fragmented exchange, ids `first`, `first+1`, `first+2`. */
function goodThreeWays(first: number, description: string, frames: RawFrame[], expected: Array<['pong', Buffer] | ['message', Buffer, boolean]>): CaseDefinition[] {
  return STYLES.map(([style, how], i) => ({
    id: `5.${first + i}`,
    description: `${description}${how}`,
    expectation: 'The fragments are put together and echoed as one message; any Pong comes first. Clean close with 1000.',
    open(run) {
      run.expect('OK', expected);
      run.expectedClose = CLEAN_CLOSE;
      for (const frame of frames) run.peer.sendFrame({ ...frame, ...style });
      run.peer.closeAfter(1);
    },
  }));
}

function badThreeWays(first: number, description: string, frames: RawFrame[]): CaseDefinition[] {
  return STYLES.map(([style, how], i) => failing(`5.${first + i}`, `${description}${how}`, frames.map((frame) => ({ ...frame, ...style }))));
}

function pingBetweenFragments(id: string, sync: boolean): CaseDefinition {
  return {
    id,
    description: `A text message in five fragments over two rounds: after two fragments a Ping, one second later two more, another Ping, and the last fragment.${sync ? ' Each frame is written on its own.' : ''}`,
    expectation: 'Both Pings are answered at once, and the whole message is echoed after its last fragment. Clean close with 1000.',
    open(run) {
      const pings = [text('pongme 1!'), text('pongme 2!')];
      run.expect('OK', [['pong', pings[0]], ['pong', pings[1]], ['message', Buffer.concat(F), false]]);
      run.expectedClose = CLEAN_CLOSE;
      run.peer.sendFrame({ opcode: 1, fin: false, payload: F[0], sync });
      run.peer.sendFrame({ opcode: 0, fin: false, payload: F[1], sync });
      run.peer.sendFrame({ opcode: 9, payload: pings[0], sync });
      run.peer.continueLater(1, () => {
        run.peer.sendFrame({ opcode: 0, fin: false, payload: F[2], sync });
        run.peer.sendFrame({ opcode: 0, fin: false, payload: F[3], sync });
        run.peer.sendFrame({ opcode: 9, payload: pings[1], sync });
        run.peer.sendFrame({ opcode: 0, payload: F[4], sync });
        run.peer.closeAfter(1);
      });
    },
  };
}

/** Category 5: fragmentation (RFC 6455 §5.4). */
export const fragmentationCases: CaseDefinition[] = [
  failing('5.1', 'A Ping in two fragments.', [{ opcode: 9, fin: false, payload: F[0] }, { opcode: 0, payload: F[1] }], 'The peer fails the connection: control frames must not be fragmented (RFC 6455 §5.5).'),
  failing('5.2', 'A Pong in two fragments.', [{ opcode: 10, fin: false, payload: F[0] }, { opcode: 0, payload: F[1] }], 'The peer fails the connection: control frames must not be fragmented (RFC 6455 §5.5).'),
  ...goodThreeWays(3, 'A text message in two fragments.', [{ opcode: 1, fin: false, payload: F[0] }, { opcode: 0, payload: F[1] }], [['message', Buffer.concat([F[0], F[1]]), false]]),
  ...goodThreeWays(6, 'A text message in two fragments with a Ping between them.', [{ opcode: 1, fin: false, payload: F[0] }, { opcode: 9, payload: PING }, { opcode: 0, payload: F[1] }], [['pong', PING], ['message', Buffer.concat([F[0], F[1]]), false]]),
  ...badThreeWays(9, 'A final continuation frame with nothing to continue, then a text message.', [{ opcode: 0, payload: NON_CONTINUATION }, { opcode: 1, payload: HELLO }]),
  ...badThreeWays(12, 'A non-final continuation frame with nothing to continue, then a text message.', [{ opcode: 0, fin: false, payload: NON_CONTINUATION }, { opcode: 1, payload: HELLO }]),
  {
    id: '5.15',
    description: 'A text message in two fragments, then a continuation of nothing and a text frame in the middle of it.',
    expectation: 'The first message is echoed, then the peer fails the connection with 1002; failing before the echo is NON-STRICT.',
    open(run) {
      run.expect('OK', [['message', Buffer.concat([F[0], F[1]]), false]]);
      run.expect('NON-STRICT', []);
      run.expectedClose = peerFails();
      run.peer.sendFrame({ opcode: 1, fin: false, payload: F[0] });
      run.peer.sendFrame({ opcode: 0, payload: F[1] });
      run.peer.sendFrame({ opcode: 0, fin: false, payload: F[2] });
      run.peer.sendFrame({ opcode: 1, payload: F[3] });
      run.peer.killAfter(1);
    },
  },
  failing('5.16', 'Twice: a non-final continuation of nothing, a non-final text frame, a final continuation.', repeatTwice([{ opcode: 0, fin: false, payload: F[0] }, { opcode: 1, fin: false, payload: F[1] }, { opcode: 0, payload: F[2] }])),
  failing('5.17', 'Twice: a final continuation of nothing, a non-final text frame, a final continuation.', repeatTwice([{ opcode: 0, payload: F[0] }, { opcode: 1, fin: false, payload: F[1] }, { opcode: 0, payload: F[2] }])),
  failing('5.18', 'A non-final text frame followed by another text frame instead of a continuation.', [{ opcode: 1, fin: false, payload: F[0] }, { opcode: 1, payload: F[1] }]),
  pingBetweenFragments('5.19', false),
  pingBetweenFragments('5.20', true),
];

function repeatTwice(frames: RawFrame[]): RawFrame[] {
  return [...frames, ...frames];
}
