/** `scriptling-ws autobahn`: drives Autobahn's fuzzingserver, our client echoing every case. */
import { connect, type ConnectOptions } from '../transport/client.js';
import { stringFlag } from './args.js';
import { AUTOBAHN_MAX_MESSAGE_SIZE, NO_DEFLATE_FLAG, echoMessages } from './echo.js';
import type { Command } from './command.js';

export const autobahn: Command = {
  name: 'autobahn',
  summary: 'run every case of an Autobahn fuzzingserver against our client, then update its reports',
  flags: {
    url: { type: 'string', value: 'URL', help: 'the fuzzingserver (default ws://127.0.0.1:9001)' },
    agent: { type: 'string', value: 'NAME', help: 'agent name in the reports (default scriptling-websocket)' },
    'no-deflate': NO_DEFLATE_FLAG,
    http2: { type: 'boolean', help: 'connect over HTTP/2 (RFC 8441; cleartext by prior knowledge for ws://)' },
  },
  async run({ values }) {
    const base = (stringFlag(values, 'url') ?? 'ws://127.0.0.1:9001').replace(/\/$/, '');
    const agentName = stringFlag(values, 'agent') ?? 'scriptling-websocket';
    const agent = encodeURIComponent(agentName);
    const options: ConnectOptions = { perMessageDeflate: values['no-deflate'] !== true, maxMessageSize: AUTOBAHN_MAX_MESSAGE_SIZE, http2: values.http2 === true };
    const counter = await connect(`${base}/getCaseCount`, options);
    const count = Number(await counter.receive(10_000));
    await counter.close();
    if (!Number.isInteger(count) || count <= 0) {
      console.error(`scriptling-ws: autobahn: ${base} sent no case count`);
      return 1;
    }
    console.log(`running ${count} cases against ${base} as ${agentName}`);
    const progress = caseProgress(count);
    for (let i = 1; i <= count; i++) {
      progress(i);
      try {
        const ws = await connect(`${base}/runCase?case=${i}&agent=${agent}`, options);
        await echoMessages(ws);
        await ws.close();
      } catch (error) {
        console.error(`case ${i}: ${(error as Error).message}`);
      }
    }
    progress(null);
    const reports = await connect(`${base}/updateReports?agent=${agent}`, options);
    await reports.close();
    console.log('reports updated');
    return 0;
  },
};

/**
 * "case 123/517" as each case starts: rewritten in place on a terminal;
 * into a pipe or file, every 25th case only, so logs stay short.
 */
function caseProgress(count: number): (current: number | null) => void {
  const tty = process.stdout.isTTY === true;
  return (current) => {
    if (current === null) {
      if (tty) process.stdout.write('\n');
    } else if (tty) {
      process.stdout.write(`\rcase ${current}/${count}`);
    } else if (current % 25 === 0 || current === count) {
      console.log(`case ${current}/${count}`);
    }
  };
}
