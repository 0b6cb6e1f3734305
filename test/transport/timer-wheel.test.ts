import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { TimerWheel, WHEEL_DUE, type WheelEntry } from '../../src/transport/timer-wheel.js';

/** The test waits on the wheel alone: its timer must keep the process alive. */
const REF = { unref: false };

/** An entry that records when the wheel called it, and resolves `called` then. */
function entry(): WheelEntry & { at: number[]; called: Promise<number> } {
  let resolve: (now: number) => void;
  const called = new Promise<number>((r) => (resolve = r));
  const e = {
    at: [] as number[],
    called,
    [WHEEL_DUE](now: number): void {
      e.at.push(now);
      resolve(now);
    },
  };
  return e;
}

describe('TimerWheel: many deadlines, one timer', () => {
  test('an entry is called once, never before its deadline, with the deadline rounded up to a slot', async () => {
    const wheel = new TimerWheel(20, REF);
    const e = entry();
    const at = performance.now() + 30;
    const slot = wheel.schedule(e, at);
    assert.equal(slot % 20, 0, 'a multiple of the granularity');
    assert.ok(slot >= at && slot < at + 20, 'the next slot at or after the deadline');
    const now = await e.called;
    assert.ok(now >= at, `called at ${now}, deadline ${at}`);
    assert.equal(wheel.size, 0, 'no longer scheduled once called');
    // A later entry as a witness that the wheel moved on: the first is not called again.
    const later = entry();
    wheel.schedule(later, performance.now() + 25);
    await later.called;
    assert.equal(e.at.length, 1);
  });

  test('entries of one slot are called in one turn; earlier slots first', async () => {
    const wheel = new TimerWheel(30, REF);
    const base = performance.now();
    const late = entry();
    const early = Array.from({ length: 50 }, entry);
    wheel.schedule(late, base + 100);
    for (const e of early) wheel.schedule(e, base + 10);
    assert.equal(wheel.size, 51);
    const times = await Promise.all(early.map((e) => e.called));
    assert.equal(new Set(times).size, 1, 'one tick called them all');
    assert.equal(late.at.length, 0, 'the later slot waits');
    assert.ok((await late.called) > times[0]);
  });

  test('cancel: a cancelled entry is never called; cancelling twice or after the call does nothing', async () => {
    const wheel = new TimerWheel(10, REF);
    const cancelled = entry();
    const witness = entry();
    const slot = wheel.schedule(cancelled, performance.now() + 5);
    wheel.schedule(witness, performance.now() + 40);
    wheel.cancel(cancelled, slot);
    wheel.cancel(cancelled, slot);
    await witness.called;
    assert.equal(cancelled.at.length, 0);
    wheel.cancel(witness, slot);
    assert.equal(wheel.size, 0);
  });

  test('an entry may reschedule itself from its call: it goes to a later turn', async () => {
    const wheel = new TimerWheel(10, REF);
    let calls = 0;
    let done: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const self: WheelEntry = {
      [WHEEL_DUE](now: number): void {
        if (++calls < 3) wheel.schedule(self, now); // due "now": must not loop within the turn
        else done();
      },
    };
    wheel.schedule(self, performance.now() + 5);
    await finished;
    assert.equal(calls, 3);
  });

  test('a finer step rounds a short deadline to a finer slot than the granularity', () => {
    const wheel = new TimerWheel(250);
    const e = entry();
    const slot = wheel.schedule(e, 1001, 5);
    assert.equal(slot, 1005);
    wheel.cancel(e, slot);
    assert.equal(wheel.schedule(e, 1001, 1000), 1250, 'a step above the granularity is the granularity');
    wheel.cancel(e, 1250);
  });

  test('a granularity that is not a number of ms ≥ 1 is a RangeError', () => {
    for (const bad of [0, -1, NaN, Infinity]) assert.throws(() => new TimerWheel(bad), RangeError);
  });
});
