// The verdict rules, checked one by one on a stand-in for the connection's flags.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CaseRun, Verdict, type CaseDefinition, type ExpectedClose } from '../../src/fuzz/case.js';
import type { FuzzPeer } from '../../src/fuzz/peer.js';
import { closeCases } from '../../src/fuzz/cases/close.js';

const definition: CaseDefinition = { id: '0.1', description: '', expectation: '', open() {} };
const flags = { closedByMe: true, wasClean: true, remoteCloseCode: 1000 as number | null, isServer: false, droppedByMe: false, limitReached: null as string | null };

function judge(peer: Partial<typeof flags>, close: ExpectedClose, received: CaseRun['received'] = [], def = definition): CaseRun {
  const run = new CaseRun(def, 1, 'agent');
  run.expect(Verdict.OK, [['message', Buffer.from('a'), false]]);
  run.expect(Verdict.NON_STRICT, []);
  run.expectedClose = close;
  run.received.push(...received);
  run.peer = { ...flags, ...peer } as unknown as FuzzPeer;
  run.connectionWasOpen = true;
  run.onConnectionLost();
  return run;
}

const clean: ExpectedClose = { closedByMe: true, closeCode: [1000], requireClean: true };
const peerFails: ExpectedClose = { closedByMe: false, closeCode: [1002], requireClean: false };

test('behavior: the first expectation the events match, in the order the case gave them', () => {
  assert.equal(judge({}, clean, [['message', Buffer.from('a'), false]]).behavior, 'OK');
  assert.equal(judge({}, clean, []).behavior, 'NON-STRICT');
  const run = judge({}, clean, [['pong', Buffer.from('a')]]);
  assert.equal(run.behavior, 'FAILED');
  assert.equal(run.result, 'Actual events differ from any expected.');
});

test('behaviorClose: wrong endpoint, then unclean, then wrong code, then dropped by the client, in that order', () => {
  assert.equal(judge({ closedByMe: false, wasClean: false, remoteCloseCode: 1011 }, clean).behaviorClose, 'FAILED');
  assert.equal(judge({ wasClean: false, remoteCloseCode: 1011 }, clean).behaviorClose, 'UNCLEAN');
  assert.equal(judge({ remoteCloseCode: 1011, droppedByMe: true }, clean).behaviorClose, 'WRONG CODE');
  assert.equal(judge({ remoteCloseCode: null, droppedByMe: true }, clean).behaviorClose, 'FAILED BY CLIENT');
  assert.equal(judge({ remoteCloseCode: null, droppedByMe: true, isServer: true }, clean).behaviorClose, 'OK');
  assert.equal(judge({ closedByMe: false, wasClean: false, remoteCloseCode: 1002 }, peerFails).behaviorClose, 'OK');
});

test('UTF-8 cases: the wrong endpoint closing fails the case itself', () => {
  const fatal = { ...peerFails, closedByWrongEndpointIsFatal: true };
  const run = judge({ closedByMe: true }, fatal, []);
  assert.equal(run.behaviorClose, 'FAILED');
  assert.equal(run.behavior, 'FAILED');
});

test('close cases: a wrong close code fails the case; out-of-range codes are informational', () => {
  const valid = closeCases.find((c) => c.id === '7.7.1')!;
  const run = judge({ remoteCloseCode: 1002 }, { closedByMe: true, closeCode: [1000], requireClean: true }, [], valid);
  assert.equal(run.behaviorClose, 'WRONG CODE');
  assert.equal(run.behavior, 'FAILED');
  const informational = closeCases.find((c) => c.id === '7.13.1')!;
  const info = judge({ closedByMe: false, wasClean: false }, clean, [], informational);
  assert.deepEqual([info.behavior, info.behaviorClose], ['INFORMATIONAL', 'INFORMATIONAL']);
});

test('a case that never opened fails both verdicts', () => {
  const run = new CaseRun(definition, 1, 'agent');
  run.neverOpened('connection refused');
  assert.deepEqual([run.behavior, run.behaviorClose, run.duration], ['FAILED', 'FAILED', 0]);
  assert.match(run.resultClose, /never completed.*connection refused/);
});

test('a peer past a limit fails the case with the limit as the reason, whatever the events so far', () => {
  const run = judge({ limitReached: 'the peer sent more than 10 messages and Pongs' }, { closedByMe: true, closeCode: [1000], requireClean: true }, [['message', Buffer.from('a'), false]]);
  assert.equal(run.behavior, Verdict.FAILED);
  assert.equal(run.result, 'Case cut short: the peer sent more than 10 messages and Pongs');
});
