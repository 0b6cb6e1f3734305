// Starting bench/probe-server.mjs in its own process and asking it for figures.
import { fork } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));

/** Starts a probe server ({ impl, handler, ...serverOptions }); resolves once it listens. */
export async function startProbeServer(config) {
  const child = fork(join(here, 'probe-server.mjs'), [JSON.stringify(config)], {
    execArgv: ['--expose-gc'], stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  // Keep the end of stderr: a server that runs out of memory says so there.
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4096)));
  const died = () => new Error(/heap out of memory|Allocation failed/.test(stderr) ? 'server died: out of memory' : `server died: ${stderr.trim().split('\n').pop() ?? ''}`);
  const port = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', (line) => resolve(Number(line.split(' ')[1])));
    child.once('exit', (code) => reject(new Error(`probe server exited with ${code}`)));
  });
  // One request at a time: answers carry no id, so a periodic sample must not take another request's answer.
  let last = Promise.resolve();
  const ask = (request) => {
    const answer = last.then(() => askNow(child, request)).catch((error) => {
      throw child.exitCode !== null || child.signalCode !== null ? died() : error;
    });
    last = answer.catch(() => {});
    return answer;
  };
  return { child, port, url: `ws://127.0.0.1:${port}/`, ask, stop: () => child.kill() };
}

/** One IPC request ('mem', 'sample', 'stats', 'snapshot') and its answer. */
function askNow(child, request) {
  return new Promise((resolve, reject) => {
    const onExit = (code) => reject(new Error(`probe server exited with ${code}`));
    child.once('exit', onExit);
    child.once('message', (answer) => {
      child.off('exit', onExit);
      resolve(answer);
    });
    child.send(request);
  });
}

export const MiB = 1024 * 1024;
export const mib = (bytes) => (bytes / MiB).toFixed(1);
