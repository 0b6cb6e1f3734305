// The real engine worker, plus misbehaviour on request, for the failure
// tests: a text message "block MS", "throw", "exit" or "oom" sent on any
// connection makes the engine thread do that. The listener comes first, so
// it sees the first request of a burst (the engine takes the rest itself).
import { workerData } from 'node:worker_threads';

workerData.requests.on('message', (request) => {
  if (request.op !== 'send' || typeof request.data !== 'string') return;
  const [what, arg] = request.data.split(' ');
  if (what === 'block') {
    const end = Date.now() + Number(arg);
    while (Date.now() < end); // busy: no event, no reply, no timer runs here meanwhile
  } else if (what === 'throw') {
    setImmediate(() => {
      throw new Error('boom in the engine');
    });
  } else if (what === 'exit') {
    process.exit(3);
  } else if (what === 'oom') {
    const hoard = [];
    setImmediate(function grow() {
      for (let i = 0; i < 100_000; i++) hoard.push({ i, text: `${i}`.repeat(8) });
      setImmediate(grow);
    });
  }
});

await import('../../dist/src/sync/worker.js');
