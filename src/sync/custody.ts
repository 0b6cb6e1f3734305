/**
 * Custody of a caller-run socket (SocketThread 'caller'): who may read and
 * write it now, in one Int32 word both threads see, with every allowed
 * transition in one table. Every change of the word goes through `move`,
 * which refuses (throws) a transition the table does not list.
 *
 *                 hand-over
 *                     │
 *                     ▼                  the caller asks ('yield' request;
 *                ┌─────────┐             answered by 'yielded')
 *        ┌──────▶│ WORKER  │──────────────────────────┐
 *        │       └─────────┘                          ▼
 *        │ worker: the caller                    ┌─────────┐
 *        │ stayed away a whole                   │  FREE   │◀─────┐
 *        │ tick, with room                       └─────────┘      │ caller: a call ends
 *        │                                            │ caller:   │ mid-frame, or with
 *  ┌──────────────────┐  caller: a call starts        │ a call    │ bytes not yet fed
 *  │ FREE_AT_BOUNDARY │─────────────────┐             │ starts    │
 *  └──────────────────┘                 ▼             ▼           │
 *        ▲                            ┌─────────────────┐         │
 *        └────────────────────────────│     CALLER      │─────────┘
 *          caller: a call ends at a   └─────────────────┘
 *          frame boundary
 *
 * The worker only reads and writes in WORKER (answering Pings, forwarding
 * what it reads, up to ROOM bytes); the caller only in CALLER. Besides, the
 * caller bumps ENTRIES at every call (the worker takes custody only after a
 * whole tick without one) and leaves in ROOM how much more it can take in.
 */
export const enum Custody {
  /** Nobody, and the worker must not take over (a frame half read, a close under way, data not yet fed). */
  FREE = 0,
  /** Nobody; the caller's protocol stopped at a frame boundary, so the worker may take over to answer Pings. */
  FREE_AT_BOUNDARY = 1,
  CALLER = 2,
  /** Where a connection starts: the worker answers Pings from the hand-over on. */
  WORKER = 3,
}

/** Int32 slots of a caller-run connection's own SharedArrayBuffer. */
export const CUSTODY = 0;
/** Bumped by the caller at every call, so the worker can tell a caller that is away from one between two calls. */
export const ENTRIES = 1;
/** Bytes the caller can still take in (its receive window less what it holds), as of its last call: what custody may read. */
export const ROOM = 2;
export const CUSTODY_BYTES = 3 * Int32Array.BYTES_PER_ELEMENT;

export type Side = 'caller' | 'worker';

/** Every allowed change of the custody word, and which thread makes it. */
export const TRANSITIONS: ReadonlyArray<{ from: Custody; to: Custody; by: Side }> = [
  { from: Custody.WORKER, to: Custody.FREE, by: 'worker' }, // yield
  { from: Custody.FREE, to: Custody.CALLER, by: 'caller' }, // a call starts (after a yield, or mid-frame)
  { from: Custody.FREE_AT_BOUNDARY, to: Custody.CALLER, by: 'caller' }, // a call starts
  { from: Custody.CALLER, to: Custody.FREE, by: 'caller' }, // a call ends mid-frame
  { from: Custody.CALLER, to: Custody.FREE_AT_BOUNDARY, by: 'caller' }, // a call ends at a frame boundary
  { from: Custody.FREE_AT_BOUNDARY, to: Custody.WORKER, by: 'worker' }, // the caller is away
];

/**
 * Moves the word from `from` to `to` if it holds `from` now (atomically):
 * whether it did. A transition the table does not list is a bug: it throws.
 */
export function move(words: Int32Array, by: Side, from: Custody, to: Custody): boolean {
  if (!TRANSITIONS.some((t) => t.from === from && t.to === to && t.by === by)) {
    throw new Error(`custody: the ${by} may not move ${NAMES[from] ?? from} to ${NAMES[to] ?? to}`);
  }
  return Atomics.compareExchange(words, CUSTODY, from, to) === from;
}

/** The worker's start, before the caller sees the connection: custody is the worker's, with `room` to read. */
export function startWithWorker(words: Int32Array, room: number): void {
  Atomics.store(words, ROOM, clampRoom(room));
  Atomics.store(words, CUSTODY, Custody.WORKER);
}

/** The caller starts a call: takes custody if nobody has it (true), else it must ask the worker. */
export function callerEnters(words: Int32Array): boolean {
  Atomics.add(words, ENTRIES, 1);
  return move(words, 'caller', Custody.FREE_AT_BOUNDARY, Custody.CALLER) || move(words, 'caller', Custody.FREE, Custody.CALLER);
}

/** The caller ends a call: leaves `room` and the word free, at a frame boundary or not. */
export function callerLeaves(words: Int32Array, atBoundary: boolean, room: number): void {
  Atomics.store(words, ROOM, clampRoom(room));
  move(words, 'caller', Custody.CALLER, atBoundary ? Custody.FREE_AT_BOUNDARY : Custody.FREE);
}

/** Whether the caller has made a call since `lastEntries` (and the count now). */
export function entriesSince(words: Int32Array, lastEntries: number): { entries: number; idle: boolean } {
  const entries = Atomics.load(words, ENTRIES);
  return { entries, idle: entries === lastEntries };
}

export function room(words: Int32Array): number {
  return Atomics.load(words, ROOM);
}

const NAMES = ['FREE', 'FREE_AT_BOUNDARY', 'CALLER', 'WORKER'];
const clampRoom = (bytes: number): number => Math.max(Math.min(bytes, 0x7fffffff), -0x80000000);
