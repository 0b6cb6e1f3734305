import type { FuzzPeer, PeerListener } from './peer.js';
import type { AcceptPolicy, Offer } from './deflate.js';
import { textPreview } from './wire-log.js';
import type { RequestProbe, ResponseProbe } from './handshake-probe.js';

/** The verdicts, spelled as the suite's reports spell them. */
export const Verdict = {
  OK: 'OK',
  NON_STRICT: 'NON-STRICT',
  FAILED: 'FAILED',
  INFORMATIONAL: 'INFORMATIONAL',
  UNIMPLEMENTED: 'UNIMPLEMENTED',
  WRONG_CODE: 'WRONG CODE',
  UNCLEAN: 'UNCLEAN',
  FAILED_BY_CLIENT: 'FAILED BY CLIENT',
} as const;
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

/** What a case hears, in order: echoed messages, pongs, and the marks its own timers leave. */
export type CaseEvent = ['message', Buffer, boolean] | ['pong', Buffer] | ['timeout', string];

export interface ExpectedClose {
  /** Whether we (the fuzzer) are to start the closing handshake. */
  closedByMe: boolean;
  /** Close codes the peer may send; the first is the one we close with. */
  closeCode: number[];
  requireClean: boolean;
  /** UTF-8 cases: the wrong endpoint closing means the peer never saw the bad UTF-8. */
  closedByWrongEndpointIsFatal?: boolean;
}

/** One case: its id and texts as the suite has them, what it sends, and how it is judged. */
export interface CaseDefinition {
  id: string;
  description: string;
  expectation: string;
  /** Plays the case once the connection is open. */
  open(run: CaseRun): void;
  /** Replaces the default handling of a received message (performance cases count and time them). */
  onMessage?(run: CaseRun, payload: Buffer, binary: boolean): void;
  /** Adjusts the verdict after the standard rules (the suite's per-case `onConnectionLost`). */
  judge?(run: CaseRun): void;
  /** No automatic Close once the expected events are in (cases that send their own bad Close). */
  suppressClose?: boolean;
  /** The suite shows the duration of these cases (performance). */
  reportTime?: boolean;
  /** Played with no other case at once, even under --parallel (the big-message cases of category 9). */
  alone?: boolean;
  /** permessage-deflate: what we offer as a client, how we accept as a server (categories 12, 13). */
  deflate?: { offers: Offer[]; accept: AcceptPolicy };
  /** Hard limit in seconds for the whole case, so a peer that hangs costs only this. Default 15. */
  deadline?: number;
  /**
   * Which implementation the case tests when it can test only one: a
   * 'server' case runs under `fuzz server`, a 'client' case under `fuzz
   * client`. Autobahn's cases test both.
   */
  tests?: 'server' | 'client';
  /** Category 14, servers under test: the request sent instead of the plain handshake. */
  request?: RequestProbe;
  /** Category 14, clients under test: the answer given instead of the plain 101. */
  response?: ResponseProbe;
}

const DEFAULT_DEADLINE = 15;

/**
 * A case being played on one connection: the events received, the
 * expectations, and the verdicts, decided by the suite's
 * `Case.onConnectionLost` rules in the same order.
 */
export class CaseRun implements PeerListener {
  peer!: FuzzPeer;
  readonly received: CaseEvent[] = [];
  /** Expected event lists by verdict, tried in insertion order. */
  readonly expected = new Map<Verdict, CaseEvent[]>();
  expectedClose: ExpectedClose = { closedByMe: true, closeCode: [1000], requireClean: true };
  behavior: Verdict = Verdict.FAILED;
  behaviorClose: Verdict = Verdict.FAILED;
  result = 'Actual events differ from any expected.';
  resultClose = 'TCP connection was dropped without close handshake';
  connectionWasOpen = false;
  started = new Date();
  startTime = 0;
  endTime = 0;
  /** The opening handshake as sent and received, for the case report. */
  httpRequest: string | null = null;
  httpResponse: string | null = null;
  /** The server's `Server` header, which names the agent when none is given. */
  serverHeader: string | undefined;
  /** Case-specific state (counters of the performance cases). */
  readonly data: Record<string, unknown> = {};
  private readonly done: Promise<void>;
  private finish!: () => void;
  private deadline: NodeJS.Timeout | null = null;

  constructor(
    readonly definition: CaseDefinition,
    readonly index: number,
    public agent: string,
  ) {
    this.done = new Promise((resolve) => (this.finish = resolve));
  }

  /** Attaches the open connection and plays the case; resolves when the connection is gone. */
  play(peer: FuzzPeer): Promise<void> {
    this.peer = peer;
    this.connectionWasOpen = true;
    this.startTime = performance.now();
    const seconds = this.definition.deadline ?? DEFAULT_DEADLINE;
    this.deadline = setTimeout(() => peer.abort(`case deadline of ${seconds} s reached`), seconds * 1000);
    try {
      this.definition.open(this);
    } catch (error) {
      peer.abort(`case failed to run: ${(error as Error).message}`);
    }
    return this.done;
  }

  /** Records a case that never got an open connection. */
  neverOpened(reason: string): void {
    this.resultClose = `The WebSocket opening handshake was never completed! (${reason})`;
    this.behavior = Verdict.FAILED;
    this.behaviorClose = Verdict.FAILED;
    this.finish();
  }

  /** Records a case the opening handshake alone decided (category 14): no WebSocket connection to close. */
  decidedByHandshake(verdict: Verdict, reason: string): void {
    this.behavior = verdict;
    this.result = reason;
    this.behaviorClose = Verdict.OK;
    this.resultClose = 'No WebSocket connection was opened: nothing to close';
    this.finish();
  }

  expect(verdict: Verdict, events: CaseEvent[]): void {
    this.expected.set(verdict, events);
  }

  onMessage(payload: Buffer, binary: boolean): void {
    if (this.definition.onMessage) {
      this.definition.onMessage(this, payload, binary);
      return;
    }
    this.received.push(['message', payload, binary]);
    this.finishWhenDone();
  }

  onPong(payload: Buffer): void {
    this.received.push(['pong', payload]);
    this.finishWhenDone();
  }

  /** Once the events match every expectation, we close if the case says we should. */
  private finishWhenDone(): void {
    for (const events of this.expected.values()) if (!sameEvents(this.received, events)) return;
    if (this.expectedClose.closedByMe && !this.definition.suppressClose) this.peer.sendClose(this.expectedClose.closeCode[0]);
  }

  onConnectionLost(): void {
    this.endTime = performance.now();
    if (this.deadline !== null) clearTimeout(this.deadline);
    this.judge();
    this.finish();
  }

  /** The suite's verdict rules, in its order. */
  private judge(): void {
    for (const [verdict, events] of this.expected) {
      if (sameEvents(this.received, events)) {
        this.behavior = verdict;
        this.result = 'Actual events match at least one expected.';
        break;
      }
    }
    const p = this.peer;
    const close = this.expectedClose;
    if (close.closedByMe !== p.closedByMe) {
      this.behaviorClose = Verdict.FAILED;
      this.resultClose = 'The connection was failed by the wrong endpoint';
    } else if (close.requireClean && !p.wasClean) {
      this.behaviorClose = Verdict.UNCLEAN;
      this.resultClose = 'The spec requires the connection to be failed cleanly here';
    } else if (p.remoteCloseCode !== null && !close.closeCode.includes(p.remoteCloseCode)) {
      this.behaviorClose = Verdict.WRONG_CODE;
      this.resultClose = `The close code should have been ${close.closeCode.join(',')} or empty`;
    } else if (!p.isServer && p.droppedByMe) {
      this.behaviorClose = Verdict.FAILED_BY_CLIENT;
      this.resultClose = 'It is preferred that the server close the TCP connection';
    } else {
      this.behaviorClose = Verdict.OK;
      this.resultClose = 'Connection was properly closed';
    }
    if (close.closedByWrongEndpointIsFatal && close.closedByMe !== p.closedByMe) this.behavior = Verdict.FAILED;
    this.definition.judge?.(this);
    if (p.limitReached !== null) {
      // Past a limit no case comes near: whatever the events so far say, the peer failed the case.
      this.behavior = Verdict.FAILED;
      this.result = `Case cut short: ${p.limitReached}`;
    }
  }

  get duration(): number {
    return this.connectionWasOpen ? Math.round(this.endTime - this.startTime) : 0;
  }
}

export function sameEvents(a: CaseEvent[], b: CaseEvent[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x.length !== y.length || x[0] !== y[0]) return false;
    for (let k = 1; k < x.length; k++) {
      const u = x[k];
      const v = y[k];
      if (Buffer.isBuffer(u) && Buffer.isBuffer(v) ? !u.equals(v) : u !== v) return false;
    }
  }
  return true;
}

/** Events as the reports show them: payloads cut to 64 octets, as text when they are UTF-8. */
export function showEvents(events: CaseEvent[]): unknown[] {
  return events.map((event) => event.map((part) => (Buffer.isBuffer(part) ? textPreview(part) : part)));
}
