import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { setTimer, clearTimer, MAX_TIMER_DELAY } from '../../src/transport/timers.js';

test('a delay above 2^31−1 ms waits the whole time instead of firing after 1 ms', () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    let fired = 0;
    setTimer(() => fired++, MAX_TIMER_DELAY + 1000);
    mock.timers.tick(10);
    assert.equal(fired, 0, 'not after 10 ms');
    mock.timers.tick(MAX_TIMER_DELAY);
    assert.equal(fired, 0, 'not after 2^31−1 ms');
    mock.timers.tick(1010); // the mock runs the first step at the end of the tick above: 10 ms late
    assert.equal(fired, 1, 'once all of it has passed');
    mock.timers.tick(MAX_TIMER_DELAY * 2);
    assert.equal(fired, 1, 'only once');
  } finally {
    mock.timers.reset();
  }
});

test('a long timer can be cleared in any of its steps; short ones are plain timeouts', () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    let fired = 0;
    const long = setTimer(() => fired++, MAX_TIMER_DELAY * 3);
    mock.timers.tick(MAX_TIMER_DELAY + 5);
    clearTimer(long);
    const short = setTimer(() => fired++, 50);
    clearTimer(short);
    clearTimer(null);
    mock.timers.tick(MAX_TIMER_DELAY * 3);
    assert.equal(fired, 0);
    setTimer(() => fired++, 50, { unref: true });
    mock.timers.tick(50);
    assert.equal(fired, 1);
  } finally {
    mock.timers.reset();
  }
});
