import { CLEAN_CLOSE, Verdict, filled, type CaseDefinition } from './common.js';

const FRAGMENT = 1300;
const PAYLOAD = filled(0x2a, 65536);

/** Category 10: a 64 KiB message that we split into 1300-octet frames; the peer must reassemble it. */
export const autoFragmentCases: CaseDefinition[] = [
  {
    id: '10.1.1',
    description: `A text message of 65536 octets, split by us into frames of ${FRAGMENT} octets.`,
    expectation: 'The message is echoed whole; clean close with 1000.',
    deadline: 25,
    open(run) {
      run.peer.autoFragmentSize = FRAGMENT;
      run.expect('OK', [['message', PAYLOAD, false]]);
      run.expectedClose = CLEAN_CLOSE;
      run.peer.sendMessage(PAYLOAD, false);
      run.peer.killAfter(10);
    },
    judge(run) {
      const stats = run.peer.log.txFrameStats;
      const continuations = Math.floor(PAYLOAD.length / FRAGMENT);
      if (stats[0] !== continuations || stats[1] !== 1) {
        run.behavior = Verdict.FAILED;
        run.result = `Frames sent ${JSON.stringify({ 0: stats[0], 1: stats[1] })} differ from the expected ${JSON.stringify({ 0: continuations, 1: 1 })}.`;
      }
    },
  },
];
