import { CloseCode } from '../../protocol/close-codes.js';
import { Verdict, type CaseDefinition, type CaseRun, type ExpectedClose } from '../case.js';

export { Verdict, type CaseDefinition, type CaseRun };

/** We close with 1000 once the expected events are in; the peer must answer cleanly. */
export const CLEAN_CLOSE: ExpectedClose = { closedByMe: true, closeCode: [CloseCode.NORMAL], requireClean: true };

/** The peer must fail the connection itself, with `code` (1002 unless told). */
export const peerFails = (code: number = CloseCode.PROTOCOL_ERROR, fatal = false): ExpectedClose =>
  fatal ? { closedByMe: false, closeCode: [code], requireClean: false, closedByWrongEndpointIsFatal: true } : { closedByMe: false, closeCode: [code], requireClean: false };

export const text = (s: string): Buffer => Buffer.from(s, 'utf8');
export const bytes = (...octets: number[]): Buffer => Buffer.from(octets);
export const filled = (octet: number, length: number): Buffer => Buffer.alloc(length, octet);

/** The 7.x rule: a wrong close code fails the case itself, not only its close verdict. */
export function wrongCodeFails(run: CaseRun): void {
  if (run.behaviorClose === Verdict.WRONG_CODE) {
    run.behavior = Verdict.FAILED;
    run.result = run.resultClose;
  }
}

/** The UTF-8 sample the suite uses around invalid sequences: "κόσμε" (Greek "cosmos"). */
export const KOSME = bytes(0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5);

/**
 * One step of the round-trip cases (9.7, 9.8, 12, 13): an echo came back;
 * a problem with it fails the case, otherwise the next message goes out,
 * and after the last one the case is OK. Either way ends with our Close.
 */
export function roundTrip(run: CaseRun, problem: string | null, more: boolean, sendNext: () => void): void {
  if (problem !== null) {
    run.behavior = Verdict.FAILED;
    run.result = problem;
  } else if (more) {
    sendNext();
    return;
  } else {
    run.behavior = Verdict.OK;
    run.result = 'All echoed messages received in time.';
  }
  run.peer.log.enable(true);
  run.peer.sendClose(1000);
}
