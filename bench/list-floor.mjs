// The floor the Scriptling contract sets for binary messages: a binary
// message reaches a script as a list of byte values and leaves it as one,
// so every message the binding echoes costs one list built from bytes and
// one list checked and copied back into bytes. Both are timed here with
// plain indexed loops (the fastest form measured: Array.from, spread and
// push are 3–8× slower), in this process, so the bench can print the
// binding's binary rate next to the rate these two loops alone allow.
import { performance } from 'node:perf_hooks';

function buildList(bytes) {
  const list = new Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) list[i] = bytes[i];
  return list;
}

function listToBytes(list) {
  const bytes = Buffer.allocUnsafe(list.length);
  for (let i = 0; i < list.length; i++) {
    const value = list[i];
    if ((value & 0xff) !== value) throw new TypeError(`item ${i} is not a byte`);
    bytes[i] = value;
  }
  return bytes;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** Messages per second one loop manages on `size` bytes: median of `rounds` rounds of `roundMs`. */
function rate(work, size, rounds, roundMs) {
  const bytes = Buffer.alloc(size, 0x61);
  const list = buildList(bytes);
  const input = work === buildList ? bytes : list;
  const perRound = [];
  for (let round = 0; round <= rounds; round++) {
    const start = performance.now();
    let count = 0;
    while (performance.now() - start < roundMs) {
      work(input);
      count++;
    }
    if (round > 0) perRound.push(count / ((performance.now() - start) / 1000));
  }
  return median(perRound);
}

/**
 * Per message size: messages/s of building the list, of turning it back
 * into bytes, and of the two together (what one process of an echo pair
 * pays per message).
 */
export function listFloor(sizes, { rounds = 5, roundMs = 300 } = {}) {
  return sizes.map((size) => {
    const build = rate(buildList, size, rounds, roundMs);
    const back = rate(listToBytes, size, rounds, roundMs);
    return { size, build, back, both: 1 / (1 / build + 1 / back) };
  });
}
