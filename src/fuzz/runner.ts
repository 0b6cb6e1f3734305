import type { CaseDefinition, CaseRun } from './case.js';

/** A one-line progress display on a terminal; silent elsewhere. */
export class Progress {
  private done = 0;
  constructor(
    private readonly total: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  step(run: CaseRun): void {
    this.done++;
    if (!this.stream.isTTY) return;
    const line = `[${this.done}/${this.total}] ${run.definition.id}: ${run.behavior} / ${run.behaviorClose}`;
    this.stream.write(`\r\x1b[K${line.slice(0, (this.stream.columns ?? 80) - 1)}`);
    if (this.done === this.total) this.stream.write('\r\x1b[K');
  }
}

/**
 * Plays the cases `parallel` at a time. Each case has its own connection
 * and its own timers, so the verdicts do not depend on the order; results
 * come back in the order of `cases`. Cases marked `alone` (category 9) run
 * alone: their time limits and durations should not depend on what else
 * the peer is doing, as in the suite, which plays one case at a time.
 */
export async function runAll(cases: CaseDefinition[], parallel: number, play: (definition: CaseDefinition, index: number) => Promise<CaseRun>, onDone?: (run: CaseRun) => void): Promise<CaseRun[]> {
  const results: CaseRun[] = new Array(cases.length);
  let start = 0;
  while (start < cases.length) {
    const alone = cases[start].alone === true;
    let end = start;
    while (end < cases.length && (cases[end].alone === true) === alone) end++;
    let next = start;
    const limit = end;
    const worker = async () => {
      while (next < limit) {
        const i = next++;
        results[i] = await play(cases[i], i + 1);
        onDone?.(results[i]);
      }
    };
    await Promise.all(Array.from({ length: alone ? 1 : Math.max(1, Math.min(parallel, end - start)) }, worker));
    start = end;
  }
  return results;
}
