/**
 * The interactive client on a terminal: a "> " prompt, received messages
 * printed above it as they come ("< …"), a typed line sent as a message,
 * and slash commands for the control frames.
 */
import { createInterface, type Interface } from 'node:readline';
import type { WebSocket } from '../transport/websocket.js';
import { decodeHex, encodeInput, type DataFormat } from './data-format.js';
import { describePing, printMessages } from './session.js';
import type { Display } from './display.js';
import type { Output } from './output.js';

const HELP = `/ping [data]               send a ping; prints the round-trip time when its pong comes
/pong [data]               send an unsolicited pong
/close [code [reason]]     start the closing handshake (default 1000)
/binary HEX…               send a binary message, e.g. /binary 01 02 ff
/quit                      close with 1000 and exit (also Ctrl-D, Ctrl-C)
//text                     send "/text" as a message`;

export interface InteractiveOptions {
  format: DataFormat;
  display: Display;
  showPingPong: boolean;
}

/** Runs until the connection has closed. */
export async function interactive(ws: WebSocket, options: InteractiveOptions): Promise<void> {
  const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: '> ' });
  const output = promptOutput(rl);
  const pings = new PingTimer(output);
  ws.onpong = (data) => {
    if (!pings.answered(data) && options.showPingPong) output.note(describePing('pong', data));
  };
  if (options.showPingPong) ws.onping = (data) => output.note(describePing('ping', data));
  const quit = () => void ws.close().catch(() => {});
  rl.on('line', (line) => {
    runLine(ws, line, options.format, output, pings);
    rl.prompt();
  });
  rl.on('close', quit); // Ctrl-D
  rl.on('SIGINT', quit);
  output.note(`connected to ${ws.remoteAddress}; /help lists the commands`);
  rl.prompt();
  await printMessages(ws, output, options.format, options.display, { from: '<' });
  rl.removeListener('close', quit);
  rl.close();
}

function runLine(ws: WebSocket, line: string, format: DataFormat, output: Output, pings: PingTimer): void {
  const report = (error: unknown) => output.note(`error: ${(error as Error).message}`);
  try {
    if (!line.startsWith('/') || line.startsWith('//')) {
      ws.send(encodeInput(line.startsWith('//') ? line.slice(1) : line, format)).catch(report);
      return;
    }
    const [command, ...words] = line.slice(1).split(' ');
    const rest = words.join(' ');
    switch (command) {
      case 'ping': {
        const data = Buffer.from(rest);
        // Checked here too, so that a refused ping is not left waiting for its pong.
        if (data.length > 125) throw new RangeError('a ping carries at most 125 bytes (RFC 6455 §5.5)');
        pings.sent(data);
        ws.ping(data).catch(report);
        return;
      }
      case 'pong':
        sendPong(ws, Buffer.from(rest)).catch(report);
        return;
      case 'close': {
        const code = words[0] === undefined || words[0] === '' ? undefined : Number(words[0]);
        ws.close(code, words.slice(1).join(' ')).catch(report);
        return;
      }
      case 'binary':
        ws.send(decodeHex(rest)).catch(report);
        return;
      case 'quit':
        ws.close().catch(report);
        return;
      case 'help':
        output.note(HELP);
        return;
      default:
        output.note(`unknown command /${command} (/help lists them; "//" sends a line starting with "/")`);
    }
  } catch (error) {
    // Bad hex, a close code that cannot be sent…: that line is refused, the session goes on.
    report(error);
  }
}

/** Unsolicited pongs (§5.5.3) are for engines that expose them; on others the command says so. */
function sendPong(ws: WebSocket, data: Buffer): Promise<void> {
  const pong = (ws as WebSocket & { pong?: (data: Uint8Array) => Promise<void> }).pong;
  if (typeof pong !== 'function') return Promise.reject(new Error('/pong is not available in this build (WebSocket.pong is missing)'));
  return pong.call(ws, data);
}

/** Round-trip times of /ping: pongs answer pings in order (§5.5.3), matched by payload. */
class PingTimer {
  private readonly waiting: Array<{ data: Buffer; at: bigint }> = [];
  constructor(private readonly output: Output) {}

  sent(data: Buffer): void {
    this.waiting.push({ data, at: process.hrtime.bigint() });
  }

  /** True when `data` answers the oldest /ping, whose round-trip time is then printed. */
  answered(data: Buffer): boolean {
    const oldest = this.waiting[0];
    if (oldest === undefined || !oldest.data.equals(data)) return false;
    this.waiting.shift();
    const ms = Number(process.hrtime.bigint() - oldest.at) / 1e6;
    this.output.note(`pong: ${ms.toFixed(1)} ms`);
    return true;
  }
}

/** Lines printed above the prompt, which is then redrawn with what was being typed. */
function promptOutput(rl: Interface): Output {
  const print = (text: string) => {
    process.stdout.write('\r\x1b[K');
    process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    rl.prompt(true);
  };
  return {
    message(data, from) {
      const text = typeof data === 'string' ? data : data.toString('hex');
      print(from === undefined ? text : `${from} ${text}`);
      return !process.stdout.writableNeedDrain;
    },
    writable() {
      return process.stdout.writableNeedDrain ? new Promise((resolve) => process.stdout.once('drain', resolve)) : Promise.resolve();
    },
    note: print,
  };
}
