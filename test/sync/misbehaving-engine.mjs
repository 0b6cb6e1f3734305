// The real engine worker, plus misbehaviour on request, for the failure
// tests: "block MS", "throw", "exit" or "oom" makes the engine thread do
// that. Connections run by the worker ask for it in a text message (sent
// on any connection); connections run by the caller in their URL's query,
// ?misbehave=exit, done at the caller's first request for that connection
// after connect() (it asks the worker, which holds the socket from the
// start, to hand it over). The listener comes first, so it sees the first request of a burst
// (the engine takes the rest itself).
import { workerData } from 'node:worker_threads';

const onWatch = new Map();

function misbehave(what, arg) {
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
}

workerData.requests.on('message', (request) => {
  if (request.op === 'connect' && typeof request.url === 'string') {
    const what = new URL(request.url).searchParams.get('misbehave');
    if (what !== null) onWatch.set(request.id, what);
  } else if ((request.op === 'yield' || request.op === 'watch') && onWatch.has(request.conn)) {
    const what = onWatch.get(request.conn);
    onWatch.delete(request.conn);
    misbehave(...what.split(' '));
  } else if (request.op === 'send' && typeof request.data === 'string') {
    misbehave(...request.data.split(' '));
  }
});

await import('../../dist/src/sync/worker.js');
