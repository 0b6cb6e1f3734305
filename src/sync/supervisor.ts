/**
 * The thread between the caller and the engine worker. The calling thread
 * blocks in Atomics.wait, so its event loop never sees a Worker's 'exit'
 * event; this thread does, and turns the engine's death (an uncaught
 * error, running out of memory, process.exit() in the worker) into the
 * DEAD status and a wake-up the caller cannot miss. It does nothing else.
 */
import { Worker, workerData } from 'node:worker_threads';
import { SEQUENCE, STATUS, Status, type Fate, type SupervisorData } from './messages.js';
import { THREAD_ROLE } from './thread-entries.js';

const { engineFile, fate, resourceLimits, state, requests, events } = workerData as SupervisorData;
const words = new Int32Array(state);

const engine = new Worker(new URL(engineFile), {
  workerData: { [THREAD_ROLE]: 'engine', state, requests, events },
  transferList: [requests, events],
  resourceLimits: resourceLimits ?? {},
});

let failure: Error | null = null;
engine.on('error', (error) => {
  failure = error;
});
engine.on('exit', (exitCode) => {
  const report: Fate = failure === null
    ? { message: `it exited with code ${exitCode}`, code: undefined }
    : { message: `${failure.name}: ${failure.message}`, code: (failure as { code?: string }).code };
  fate.postMessage(report);
  Atomics.store(words, STATUS, Status.DEAD);
  Atomics.add(words, SEQUENCE, 1);
  Atomics.notify(words, SEQUENCE);
  fate.close();
});
