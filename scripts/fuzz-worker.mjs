// The fuzz loop of scripts/fuzz.mjs, in a worker so the main thread can
// watch for hangs: it publishes the index of the input it is running.
import { parentPort, workerData } from 'node:worker_threads';

const { runner, current, options } = workerData;
const { runFuzz } = await import(runner);
parentPort.postMessage(await runFuzz({ ...options, onInput: (index) => Atomics.store(current, 0, index) }));
