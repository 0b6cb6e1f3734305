/**
 * The fuzz loop shared by `npm run fuzz` (scripts/fuzz.mjs) and the short
 * seeded slice in `npm test`. Input `i` of seed `s` is rebuilt from (s, i)
 * alone, so every failure can be replayed.
 */
import { Random } from './random.js';
import { fuzzFrames } from './frames.js';
import { fuzzEncode } from './encode.js';
import { fuzzClientHandshake, fuzzClientRequest, fuzzExtensions, fuzzHeadReader, fuzzInflate, fuzzNegotiation, fuzzResponseHead } from './handshake.js';

/** Each target and its share of the inputs. */
export const TARGETS: ReadonlyArray<readonly [number, string, (rng: Random) => void]> = [
  [10, 'frames', fuzzFrames],
  [2, 'encode', fuzzEncode],
  [2, 'response-head', fuzzResponseHead],
  [1, 'client-handshake', fuzzClientHandshake],
  [2, 'head-reader', fuzzHeadReader],
  [2, 'client-request', fuzzClientRequest],
  [2, 'extensions', fuzzExtensions],
  [1, 'negotiation', fuzzNegotiation],
  [1, 'inflate', fuzzInflate],
];

export interface FuzzOptions {
  seed: number;
  /** Stop after this many inputs (default: unlimited, then `seconds` must be set). */
  count?: number;
  /** Stop after this many seconds. */
  seconds?: number;
  /** Skip inputs whose target is not one of these. */
  targets?: string[];
  /** Only this input, e.g. to replay a failure. */
  replay?: number;
  /** Called with the index of each input before it runs (a watchdog can then name a hang). */
  onInput?: (index: number) => void;
}

export interface FuzzFailureReport {
  target: string;
  index: number;
  error: string;
}

export interface FuzzSummary {
  seed: number;
  inputs: number;
  byTarget: Record<string, number>;
  /** Milliseconds spent in each target. */
  msByTarget: Record<string, number>;
  seconds: number;
  failures: FuzzFailureReport[];
  /** Failures beyond the ones kept in `failures`. */
  moreFailures: number;
  slowest: { target: string; index: number; ms: number };
  /** heapUsed + external and the process's RSS in MiB, sampled every 10,000 inputs (after a GC when --expose-gc is on). */
  memoryMiB: { heap: Range; rss: Range };
}

const KEEP_FAILURES = 20;

interface Range {
  start: number;
  peak: number;
  end: number;
}

/** Picks input `index`'s target from its own generator, so a replay picks the same. */
function targetFor(rng: Random): readonly [number, string, (rng: Random) => void] {
  return rng.weighted(TARGETS.map((target) => [target[0], target] as const));
}

const toMiB = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;

/** Samples memory into the ranges (`end` is the latest sample). */
function sampleMemory(memory: { heap: Range; rss: Range } | null): { heap: Range; rss: Range } {
  (globalThis as { gc?: () => void }).gc?.();
  const { heapUsed, external, rss } = process.memoryUsage();
  const heap = toMiB(heapUsed + external);
  const resident = toMiB(rss);
  if (memory === null) return { heap: { start: heap, peak: heap, end: heap }, rss: { start: resident, peak: resident, end: resident } };
  memory.heap.peak = Math.max(memory.heap.peak, heap);
  memory.heap.end = heap;
  memory.rss.peak = Math.max(memory.rss.peak, resident);
  memory.rss.end = resident;
  return memory;
}

/**
 * Runs the inputs, yielding to the event loop every 1,000: zlib's sync
 * calls finish closing their handles on the next tick, so a loop that never
 * yields would pile up what a real server frees (and report a false leak).
 */
export async function runFuzz(options: FuzzOptions): Promise<FuzzSummary> {
  const first = options.replay ?? 0;
  const count = options.replay !== undefined ? 1 : options.count ?? Infinity;
  const deadline = options.seconds === undefined ? Infinity : Date.now() + options.seconds * 1000;
  if (!Number.isFinite(count) && !Number.isFinite(deadline)) throw new RangeError('give a count or a number of seconds');
  const byTarget: Record<string, number> = Object.fromEntries(TARGETS.map(([, name]) => [name, 0]));
  const msByTarget: Record<string, number> = Object.fromEntries(TARGETS.map(([, name]) => [name, 0]));
  const failures: FuzzFailureReport[] = [];
  let moreFailures = 0;
  const slowest = { target: '', index: -1, ms: 0 };
  const start = performance.now();
  const memory = sampleMemory(null);
  let inputs = 0;
  for (let index = first; inputs < count; index++) {
    if ((index & 1023) === 0) {
      if (Date.now() > deadline) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (inputs % 10_000 === 9_999) sampleMemory(memory);
    options.onInput?.(index);
    const rng = Random.forInput(options.seed, index);
    const [, name, target] = targetFor(rng);
    if (options.targets !== undefined && !options.targets.includes(name)) continue;
    const began = performance.now();
    try {
      target(rng);
    } catch (error) {
      if (failures.length < KEEP_FAILURES) failures.push({ target: name, index, error: (error as Error)?.stack ?? String(error) });
      else moreFailures++;
    }
    const ms = performance.now() - began;
    if (ms > slowest.ms) Object.assign(slowest, { target: name, index, ms: Math.round(ms * 10) / 10 });
    byTarget[name]++;
    msByTarget[name] += ms;
    inputs++;
  }
  sampleMemory(memory);
  for (const name of Object.keys(msByTarget)) msByTarget[name] = Math.round(msByTarget[name]);
  return { seed: options.seed, inputs, byTarget, msByTarget, seconds: Math.round((performance.now() - start) / 100) / 10, failures, moreFailures, slowest, memoryMiB: memory };
}
