import { CLEAN_CLOSE, Verdict, text, wrongCodeFails, type CaseDefinition, type CaseRun } from './common.js';
import type { ExpectedClose } from '../case.js';

const HELLO = text('Hello World!');
const NORMAL = 1000;
const PROTOCOL_ERROR = 1002;
const INVALID_PAYLOAD = 1007;

/** We start the closing handshake ourselves (often with a bad Close); a wrong close code fails the case. */
function closing(id: string, description: string, expectation: string, expectedClose: ExpectedClose, send: (run: CaseRun) => void, expected: Array<['message', Buffer, boolean]> = []): CaseDefinition {
  return {
    id,
    description,
    expectation,
    suppressClose: expected.length === 0,
    open(run) {
      run.expect('OK', expected);
      run.expectedClose = expectedClose;
      send(run);
      run.peer.killAfter(1);
    },
    judge: wrongCodeFails,
  };
}

const failsWith = (...codes: number[]): ExpectedClose => ({ closedByMe: true, closeCode: codes, requireClean: false });
const AFTER_CLOSE = 'The peer answers our Close with a clean close (1000) and ignores what we send after our Close (RFC 6455 §5.5.1).';

/** Category 7.7: close codes a peer must accept (RFC 6455 §7.4.1, §7.4.2). */
const VALID_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999];
/** Category 7.9: codes that must not appear in a Close frame. */
const INVALID_CODES = [0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999];

/** Not defined by the RFC: what the peer does is recorded, the verdict is INFORMATIONAL. */
function informational(run: CaseRun): void {
  run.behavior = Verdict.INFORMATIONAL;
  run.behaviorClose = Verdict.INFORMATIONAL;
  run.result = 'Actual events are undefined by the spec.';
}

function outOfRangeCode(id: string, code: number): CaseDefinition {
  return {
    id,
    description: `A Close with code ${code}, outside the range of close codes.`,
    expectation: 'Anything: the RFC does not say what to do with such a code.',
    suppressClose: true,
    open(run) {
      run.expect('OK', []);
      run.expectedClose = failsWith(NORMAL, code, PROTOCOL_ERROR);
      run.peer.sendCloseFrame(code);
      run.peer.killAfter(1);
    },
    judge: informational,
  };
}

/** Category 7: the closing handshake (RFC 6455 §5.5.1, §7). */
export const closeCases: CaseDefinition[] = [
  closing('7.1.1', 'A text message, then a Close once it is echoed.', 'The message is echoed, then a clean close with 1000.', CLEAN_CLOSE, (run) => run.peer.sendFrame({ opcode: 1, payload: HELLO }), [['message', HELLO, false]]),
  closing('7.1.2', 'A Close, then a second Close.', AFTER_CLOSE, CLEAN_CLOSE, (run) => {
    run.peer.sendClose(NORMAL);
    run.peer.sendFrame({ opcode: 8 });
  }),
  closing('7.1.3', 'A Close, then a Ping.', AFTER_CLOSE, CLEAN_CLOSE, (run) => {
    run.peer.sendClose(NORMAL);
    run.peer.sendFrame({ opcode: 9 });
  }),
  closing('7.1.4', 'A Close, then a text message.', AFTER_CLOSE, CLEAN_CLOSE, (run) => {
    run.peer.sendClose(NORMAL);
    run.peer.sendFrame({ opcode: 1, payload: HELLO });
  }),
  closing('7.1.5', 'The first fragment of a text message, a Close, then the last fragment.', AFTER_CLOSE, CLEAN_CLOSE, (run) => {
    run.peer.sendFrame({ opcode: 1, fin: false, payload: text('fragment1') });
    run.peer.sendClose(NORMAL);
    run.peer.sendFrame({ opcode: 0, payload: text('fragment2') });
  }),
  {
    id: '7.1.6',
    description: 'A 256 KiB text message, a short text message, a Close and a Ping, all at once.',
    expectation: 'Informational: whether the short message is echoed before the peer handles the Close.',
    suppressClose: true,
    deadline: 20,
    open(run) {
      run.expect('OK', [['message', HELLO, false]]);
      run.expect('NON-STRICT', []);
      run.expectedClose = CLEAN_CLOSE;
      run.peer.sendFrame({ opcode: 1, payload: text('BAsd7&jh23'), payloadLength: 256 * 1024 });
      run.peer.sendFrame({ opcode: 1, payload: HELLO });
      run.peer.sendClose(NORMAL);
      run.peer.sendFrame({ opcode: 9 });
      run.peer.killAfter(1);
    },
    judge(run) {
      if (run.behavior === Verdict.OK) run.result = 'Text message was processed before close.';
      else if (run.behavior === Verdict.NON_STRICT) run.result = 'Close was processed before text message could be returned.';
      run.behavior = Verdict.INFORMATIONAL;
      run.behaviorClose = Verdict.INFORMATIONAL;
    },
  },
  closing('7.3.1', 'A Close with an empty payload.', 'A clean close.', CLEAN_CLOSE, (run) => run.peer.sendCloseFrame()),
  closing('7.3.2', 'A Close with a 1-octet payload.', 'The peer fails the connection with 1002: a close payload holds a 2-octet code first (RFC 6455 §5.5.1).', failsWith(PROTOCOL_ERROR), (run) => run.peer.sendCloseFrame(null, text('a'))),
  closing('7.3.3', 'A Close with code 1000 and no reason.', 'A clean close with 1000.', CLEAN_CLOSE, (run) => run.peer.sendClose(NORMAL)),
  closing('7.3.4', 'A Close with code 1000 and a short reason.', 'A clean close with 1000.', CLEAN_CLOSE, (run) => run.peer.sendClose(NORMAL, 'Hello World!')),
  closing('7.3.5', 'A Close with code 1000 and a 123-octet reason, the longest that fits.', 'A clean close with 1000.', CLEAN_CLOSE, (run) => run.peer.sendClose(NORMAL, '*'.repeat(123))),
  closing('7.3.6', 'A Close with code 1000 and a 124-octet reason: 126 octets of control payload.', 'The peer fails the connection with 1002 (RFC 6455 §5.5).', failsWith(PROTOCOL_ERROR), (run) => run.peer.sendCloseFrame(NORMAL, Buffer.from('*'.repeat(124)))),
  closing('7.5.1', 'A Close with code 1000 and a reason that is not valid UTF-8.', 'The peer fails the connection with 1002 or 1007 (RFC 6455 §5.5.1, §8.1).', failsWith(PROTOCOL_ERROR, INVALID_PAYLOAD), (run) =>
    run.peer.sendCloseFrame(NORMAL, Buffer.from('cebae1bdb9cf83cebcceb5eda080656469746564', 'hex'))),
  ...VALID_CODES.map((code, i) =>
    closing(`7.7.${i + 1}`, `A Close with the valid code ${code}.`, `A clean close with 1000 or ${code}.`, { closedByMe: true, closeCode: [NORMAL, code], requireClean: true }, (run) => run.peer.sendCloseFrame(code)),
  ),
  ...INVALID_CODES.map((code, i) =>
    closing(`7.9.${i + 1}`, `A Close with the invalid code ${code}.`, 'The peer fails the connection with 1002 (RFC 6455 §7.4).', failsWith(PROTOCOL_ERROR), (run) => run.peer.sendCloseFrame(code)),
  ),
  outOfRangeCode('7.13.1', 5000),
  outOfRangeCode('7.13.2', 65535),
];
