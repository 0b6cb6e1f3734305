import { createHash } from 'node:crypto';
import { CLEAN_CLOSE, Verdict, roundTrip, type CaseDefinition, type CaseRun } from './common.js';
import { DEFAULT_OFFER, type AcceptPolicy, type Acceptance, type Offer } from '../deflate.js';
import { DATASET_BINARY, DATASET_TITLES, datasets, slice, unitCount, type Dataset } from './compression-data.js';
import { SequenceCache, type CompressedSequence } from './compressed-sequence.js';

/** [message size, time limit in s, frame size (0: one frame)]: the suite's plan, 1000 messages each. */
const PLAN: Array<[number, number, number]> = [
  [16, 60, 0], [64, 60, 0], [256, 120, 0], [1024, 240, 0], [4096, 480, 0], [8192, 480, 0], [16384, 480, 0], [32768, 480, 0], [65536, 480, 0], [131072, 480, 0],
  [8192, 480, 256], [16384, 480, 256], [32768, 480, 256], [65536, 480, 256], [131072, 480, 256],
  [131072, 480, 1024], [131072, 480, 4096], [131072, 480, 32768],
];
const COUNT = 1000;

interface EchoState {
  /** Shared with other cases that send the same messages; null: compress on this connection. */
  sequence: CompressedSequence | null;
  next: number;
  sent: Buffer;
  count: number;
}

/** The compressed messages, shared by the cases of a run. */
const sequences = new SequenceCache();

function sendOne(run: CaseRun, data: Dataset, size: number): void {
  const state = run.data as unknown as EchoState;
  if (state.sequence !== null) {
    const { message, compressed } = state.sequence.at(state.count);
    state.sent = message;
    state.count++;
    run.peer.sendCompressed(compressed, data.binary);
    return;
  }
  const message = slice(data, state.next, size);
  state.next = (state.next + size) % unitCount(data);
  state.sent = message;
  state.count++;
  run.peer.sendMessage(message, data.binary);
}

const sha1 = (data: Buffer): string => createHash('sha1').update(data).digest('hex');

function echoProblem(payload: Buffer, binary: boolean, sent: Buffer, sentBinary: boolean): string | null {
  if (binary !== sentBinary) return `Echoed message type differs from what was sent (binary ${binary}, expected ${sentBinary}).`;
  if (payload.length !== sent.length) return `Echoed message length differs from what was sent (${payload.length} octets, expected ${sent.length}).`;
  if (!payload.equals(sent)) return `Echoed message contents differ from what was sent (SHA1 ${sha1(payload)}, expected ${sha1(sent)}).`;
  return null;
}

/**
 * 1000 compressed messages, each sent once the previous one is echoed
 * (RFC 7692). A peer that does not negotiate permessage-deflate gets
 * UNIMPLEMENTED.
 */
function compressedEcho(id: string, datasetIndex: number, [size, wait, fragment]: [number, number, number], offersText: string, deflate: { offers: Offer[]; accept: AcceptPolicy }): CaseDefinition {
  return {
    id,
    description: `${COUNT} compressed messages of ${size} ${DATASET_BINARY[datasetIndex] ? 'octets' : 'characters'} each${fragment ? `, in frames of ${fragment} octets` : ''}; permessage-deflate ${offersText}.`,
    expectation: `Every message is echoed as sent within ${wait} s.`,
    reportTime: true,
    deflate,
    deadline: wait + 15,
    open(run) {
      run.peer.log.enable(false);
      run.peer.autoFragmentSize = fragment;
      if (run.peer.deflate === null) {
        run.behavior = Verdict.UNIMPLEMENTED;
        run.result = 'permessage-deflate was not negotiated.';
        run.expectedClose = CLEAN_CLOSE;
        run.peer.sendClose(1000);
        return;
      }
      run.behavior = Verdict.FAILED;
      run.expectedClose = CLEAN_CLOSE;
      run.result = `Case did not finish within ${wait} seconds.`;
      run.peer.closeAfter(wait);
      const sequence = sequences.get(datasetIndex, size, COUNT, run.peer.deflate.params);
      Object.assign(run.data, { sequence, next: 0, sent: Buffer.alloc(0), count: 0 } satisfies EchoState);
      sendOne(run, datasets()[datasetIndex], size);
    },
    judge(run) {
      // The run is kept for the reports until the end; the shared messages must not be (they are evicted per dataset).
      (run.data as unknown as EchoState).sequence = null;
    },
    onMessage(run, payload, binary) {
      const data = datasets()[datasetIndex];
      const state = run.data as unknown as EchoState;
      roundTrip(run, echoProblem(payload, binary, state.sent, data.binary), state.count < COUNT, () => sendOne(run, data, size));
    },
  };
}

const offer = (requestNoContextTakeover: boolean, requestMaxWindowBits: number): Offer => ({ ...DEFAULT_OFFER, requestNoContextTakeover, requestMaxWindowBits });
const first = (offers: Offer[], ok: (o: Offer) => boolean, requestNoContextTakeover: boolean, requestMaxWindowBits: number): Acceptance | null => {
  const chosen = offers.find(ok);
  return chosen === undefined ? null : { offer: chosen, requestNoContextTakeover, requestMaxWindowBits };
};
const always = () => true;
const noContext = (o: Offer) => o.acceptNoContextTakeover;
const windowBits = (o: Offer) => o.acceptMaxWindowBits;
const both = (o: Offer) => o.acceptNoContextTakeover && o.acceptMaxWindowBits;

/** The seven parameter sets of category 13: our offers as a client, our acceptance as a server. */
const PARAMETERS: Array<{ offers: Offer[]; accept: AcceptPolicy; title: string }> = [
  { offers: [DEFAULT_OFFER], accept: (o) => first(o, always, false, 0), title: 'default offer / accepted as offered' },
  { offers: [offer(true, 0)], accept: (o) => first(o, noContext, true, 0), title: 'offer server_no_context_takeover / accept asking client_no_context_takeover' },
  { offers: [offer(false, 9)], accept: (o) => first(o, windowBits, false, 9), title: 'offer server_max_window_bits=9 / accept asking client_max_window_bits=9' },
  { offers: [offer(false, 15)], accept: (o) => first(o, windowBits, false, 15), title: 'offer server_max_window_bits=15 / accept asking client_max_window_bits=15' },
  { offers: [offer(true, 9)], accept: (o) => first(o, both, true, 9), title: 'offer no context takeover and window 9 / accept asking both' },
  { offers: [offer(true, 15)], accept: (o) => first(o, both, true, 15), title: 'offer no context takeover and window 15 / accept asking both' },
  {
    offers: [offer(true, 9), offer(true, 0), DEFAULT_OFFER],
    accept: (o) => first(o, both, true, 9) ?? first(o, noContext, true, 0) ?? first(o, always, false, 0),
    title: 'three offers, most demanding first / accept the most demanding one possible',
  },
];

const describeOffers = (offers: Offer[]): string => `offers ${JSON.stringify(offers.map((o) => [o.requestNoContextTakeover, o.requestMaxWindowBits]))} (server_no_context_takeover, server_max_window_bits)`;

/** Category 12: different payloads, default parameters. */
export const compressionPayloadCases: CaseDefinition[] = [0, 1, 2, 3, 4].flatMap((d) =>
  PLAN.map((step, i) => compressedEcho(`12.${d + 1}.${i + 1}`, d, step, 'with the default offer', { offers: PARAMETERS[0].offers, accept: PARAMETERS[0].accept })),
);

/** Category 13: JSON payloads, different parameters. */
export const compressionParameterCases: CaseDefinition[] = PARAMETERS.flatMap((parameters, p) =>
  PLAN.map((step, i) => compressedEcho(`13.${p + 1}.${i + 1}`, 0, step, describeOffers(parameters.offers), parameters)),
);

/** Sub-category titles for 12.x and 13.x. */
export const COMPRESSION_TITLES: Record<string, string> = {
  ...Object.fromEntries(DATASET_TITLES.map((title, i) => [`12.${i + 1}`, title])),
  ...Object.fromEntries(PARAMETERS.map((p, i) => [`13.${i + 1}`, `JSON records: ${p.title}`])),
};
