import { CLEAN_CLOSE, Verdict, bytes, roundTrip, text, type CaseDefinition, type CaseRun } from './common.js';
import type { RawFrame } from '../raw-frame.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const TEXT_UNIT = text('BAsd7&jh23');
const BINARY_UNIT = bytes(0x00, 0xfe, 0x23, 0xfa, 0xf0);

const sizeName = (n: number): string => (n >= MiB ? `${n / MiB} MiB` : n >= KiB ? `${n / KiB} KiB` : `${n} octets`);

/**
 * One big message that must come back whole within `wait` seconds; the
 * wire log is off while it travels (it would hold megabytes).
 */
function bigEcho(id: string, description: string, binary: boolean, length: number, wait: number, send: (run: CaseRun) => void): CaseDefinition {
  const kind = binary ? 'binary' : 'text';
  return {
    id,
    description,
    expectation: `The ${kind} message comes back with all ${length} octets within ${wait} s.`,
    reportTime: true,
    alone: true,
    deadline: wait + 15,
    open(run) {
      run.peer.log.enabled = false;
      run.behavior = Verdict.FAILED;
      run.expectedClose = CLEAN_CLOSE;
      run.result = `Did not receive message within ${wait} seconds.`;
      send(run);
      run.peer.closeAfter(wait);
    },
    onMessage(run, payload, isBinary) {
      if (isBinary !== binary) run.result = `Expected a ${kind} message, but got ${isBinary ? 'binary' : 'text'}.`;
      else if (payload.length !== length) run.result = `Expected a ${kind} message of ${length} octets, but got ${payload.length}.`;
      else {
        run.behavior = Verdict.OK;
        run.result = `Received ${kind} message of length ${length}.`;
      }
      run.peer.log.enabled = true;
      run.peer.sendClose(1000);
    },
  };
}

const frameOf = (binary: boolean, length: number, extra: Partial<RawFrame> = {}): RawFrame => ({ opcode: binary ? 2 : 1, payload: binary ? BINARY_UNIT : TEXT_UNIT, payloadLength: length, ...extra });

/** 9.1 / 9.2: one frame of 64 KiB to 16 MiB. */
function singleFrames(sub: number, binary: boolean): CaseDefinition[] {
  const sizes = [64 * KiB, 256 * KiB, MiB, 4 * MiB, 8 * MiB, 16 * MiB];
  // The suite gives binary messages up to 4 MiB only 10 s, text from 1 MiB on 100 s.
  const waits = binary ? [10, 10, 10, 10, 100, 100] : [10, 10, 100, 100, 100, 100];
  return sizes.map((size, i) =>
    bigEcho(`9.${sub}.${i + 1}`, `A ${binary ? 'binary' : 'text'} message of ${sizeName(size)} in one frame.`, binary, size, waits[i], (run) => run.peer.sendFrame(frameOf(binary, size))),
  );
}

/** 9.3 / 9.4: a 4 MiB message in fragments of 64 octets to 4 MiB. */
function fragmented(sub: number, binary: boolean): CaseDefinition[] {
  const sizes = [64, 256, KiB, 4 * KiB, 16 * KiB, 64 * KiB, 256 * KiB, MiB, 4 * MiB];
  return sizes.map((fragment, i) =>
    bigEcho(`9.${sub}.${i + 1}`, `A ${binary ? 'binary' : 'text'} message of 4 MiB in fragments of ${sizeName(fragment)}.`, binary, 4 * MiB, 100, (run) =>
      run.peer.sendMessage(Buffer.alloc(4 * MiB, binary ? 0xfe : 0x2a), binary, fragment),
    ),
  );
}

/** 9.5 / 9.6: a 1 MiB frame written in pieces of 64 to 2048 octets. */
function chopped(sub: number, binary: boolean): CaseDefinition[] {
  return [64, 128, 256, 512, 1024, 2048].map((chop, i) =>
    bigEcho(`9.${sub}.${i + 1}`, `A ${binary ? 'binary' : 'text'} message of 1 MiB in one frame, written in pieces of ${chop} octets.`, binary, MiB, 1000, (run) =>
      run.peer.sendFrame(frameOf(binary, MiB, { chopSize: chop })),
    ),
  );
}

/** 9.7 / 9.8: 1000 messages one after the other, each sent when the previous one is back. */
function roundTrips(sub: number, binary: boolean): CaseDefinition[] {
  const plan: Array<[number, number]> = [[0, 60], [16, 60], [64, 60], [256, 120], [1024, 240], [4096, 480]];
  const COUNT = 1000;
  const kind = binary ? 'binary' : 'text';
  return plan.map(([size, wait], i) => {
    const sendOne = (run: CaseRun) => {
      run.peer.sendFrame({ opcode: binary ? 2 : 1, payload: binary ? bytes(0xfe) : text('*'), payloadLength: size });
      run.data.count = (run.data.count as number) + 1;
    };
    return {
      id: `9.${sub}.${i + 1}`,
      description: `${COUNT} ${kind} messages of ${size} octets, each sent once the previous one is echoed, to measure round trips.`,
      expectation: `All ${COUNT} messages are echoed within ${wait} s.`,
      reportTime: true,
      alone: true,
      deadline: wait + 15,
      open(run) {
        run.peer.log.enable(false);
        run.behavior = Verdict.FAILED;
        run.expectedClose = CLEAN_CLOSE;
        run.result = `Case did not finish within ${wait} seconds.`;
        run.peer.closeAfter(wait);
        run.data.count = 0;
        sendOne(run);
      },
      onMessage(run, payload, isBinary) {
        const problem = isBinary !== binary || payload.length !== size ? `Echoed message type or length differs from what was sent (binary = ${isBinary}, length = ${payload.length}).` : null;
        roundTrip(run, problem, (run.data.count as number) < COUNT, () => sendOne(run));
      },
    } satisfies CaseDefinition;
  });
}

/** Category 9: limits and performance; the sizes are the suite's. */
export const limitCases: CaseDefinition[] = [
  ...singleFrames(1, false),
  ...singleFrames(2, true),
  ...fragmented(3, false),
  ...fragmented(4, true),
  ...chopped(5, false),
  ...chopped(6, true),
  ...roundTrips(7, false),
  ...roundTrips(8, true),
];
