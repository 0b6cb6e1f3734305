// One benchmark server process: node bench/server.mjs IMPL [--deflate]
// Prints "PORT n"; answers IPC "mem" with its memory after a full GC, and
// "snapshot" (bench/heap-breakdown.mjs) with the file of a heap snapshot.
import { writeHeapSnapshot } from 'node:v8';
import { startServer } from './peers.mjs';

const impl = process.argv[2];
const server = await startServer(impl, { deflate: process.argv.includes('--deflate') });
process.on('message', (message) => {
  if (message === 'cpu') {
    const { user, system } = process.cpuUsage();
    process.send({ cpu: user + system }); // µs of CPU this process has used: bench/alternate.mjs's cost per message
  } else if (message === 'mem') {
    for (let i = 0; i < 3; i++) global.gc?.();
    const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
    process.send({ rss, heapUsed, external, arrayBuffers });
  } else if (message === 'snapshot') {
    process.send({ file: writeHeapSnapshot() });
  }
});
console.log(`PORT ${server.port}`);
