/**
 * `scriptling-ws connect URL`: a client to poke at servers. On a terminal it
 * is interactive (see prompt.ts); piped, each input record is one message
 * and each received message one output record; with -x it sends those
 * messages, waits, and closes.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { connect as connectEngine, ConnectError, type ConnectOptions } from '../transport/client.js';
import { parseWebSocketUrl } from '../protocol/url.js';
import { parseProxyUrl } from '../transport/proxy.js';
import { checkHeaders } from '../protocol/handshake.js';
import { checkProtocols } from '../protocol/subprotocols.js';
import { State } from '../protocol/connection.js';
import type { WebSocket } from '../transport/websocket.js';
import { UsageError, listFlag, stringFlag, type Values } from './args.js';
import { DATA_FORMAT_FLAGS, InputError, dataFormat, encodeInput, type DataFormat } from './data-format.js';
import { EXIT_CODES_HELP, Exit, exitCodeForClose } from './exit-codes.js';
import { streamOutput, type Output } from './output.js';
import { records, type Separator } from './records.js';
import { flagCheck, parseHeaders, parseSeconds, readFlagFile } from './values.js';
import { SESSION_FLAGS, sessionOptions, separatorOf } from './session-flags.js';
import { interactive } from './prompt.js';
import { DISPLAY_FLAGS, displayOf, escapeControls, type Display } from './display.js';
import { describePing, printHandshake, printMessages } from './session.js';
import type { Command } from './command.js';

/** wscat's default wait after -x. */
const DEFAULT_EXECUTE_WAIT_MS = 2000;
/** `--wait` values that keep the connection open: wscat spells it -1. */
const FOREVER = new Set(['forever', '-1']);
/** How many redirects -L follows (curl's --max-redirs is 50; a WebSocket endpoint rarely moves twice). */
const DEFAULT_MAX_REDIRECTS = 10;

/** Engine options being added by the client handshake work (issue 9); passed under their engine names. */
interface PendingClientOptions {
  protocols?: string[];
  proxy?: string;
}
type ClientOptions = ConnectOptions & PendingClientOptions & ReturnType<typeof sessionOptions>;

export const connect: Command = {
  name: 'connect',
  summary: 'connect to a WebSocket server: interactive on a terminal, one message per line when piped',
  operands: ['URL'],
  flags: {
    header: { type: 'string', short: 'H', multiple: true, value: "'NAME: VALUE'", help: 'extra handshake header' },
    subprotocol: { type: 'string', short: 's', multiple: true, value: 'NAME', help: 'offer this subprotocol' },
    origin: { type: 'string', short: 'o', value: 'ORIGIN', help: 'send this Origin header' },
    ca: { type: 'string', value: 'FILE', help: 'trust the CA certificate(s) in this PEM file' },
    cert: { type: 'string', value: 'FILE', help: 'client certificate (PEM) for mutual TLS' },
    key: { type: 'string', value: 'FILE', help: 'private key (PEM) of --cert' },
    passphrase: { type: 'string', value: 'TEXT', help: 'passphrase of --key' },
    insecure: { type: 'boolean', short: 'k', help: 'do not check the server certificate' },
    proxy: { type: 'string', value: 'URL', help: 'proxy: http://[user:pass@]host:port (CONNECT) or socks5://[user:pass@]host:port (default: HTTPS_PROXY / HTTP_PROXY / ALL_PROXY, NO_PROXY)' },
    'no-deflate': { type: 'boolean', help: 'do not offer permessage-deflate' },
    execute: { type: 'string', short: 'x', multiple: true, value: 'MSG', help: 'send MSG after connecting, then wait (-w) and close; stdin is not read' },
    wait: { type: 'string', short: 'w', value: 'SECONDS', help: 'after -x or the end of stdin, wait this long for replies before closing (default: 2 after -x, 0 after stdin); "forever" (or --wait=-1, as wscat -w -1) keeps the connection open until the server closes or Ctrl-C' },
    location: { type: 'boolean', short: 'L', help: `follow redirects (301, 302, 303, 307, 308), up to ${DEFAULT_MAX_REDIRECTS}; never from wss:// to ws://` },
    'one-message': { type: 'boolean', short: '1', help: 'print the first message received, then close' },
    ...DATA_FORMAT_FLAGS,
    ...DISPLAY_FLAGS,
    ...SESSION_FLAGS,
    verbose: { type: 'boolean', short: 'v', help: 'print the handshake request and response heads to stderr' },
    timeout: { type: 'string', value: 'SECONDS', help: 'give up connecting after this long (default 10)' },
  },
  notes: `interactive commands: /ping [data], /pong [data], /close [code [reason]], /binary HEX…, /quit, /help
(a line starting with "//" is sent as text starting with "/")

${EXIT_CODES_HELP}`,
  run,
};

async function run({ values, operands }: { values: Values; operands: string[] }): Promise<number> {
  const url = operands[0];
  if (url === undefined) throw new UsageError('connect needs a URL, e.g. ws://127.0.0.1:8080/echo', connect);
  try {
    parseWebSocketUrl(url);
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/^websocket connect failed: /, ''), connect);
  }
  const options = clientOptions(values);
  if (values['show-ping-pong'] === true) {
    // From the first frame: a Ping sent with the 101 comes before connect() resolves.
    options.onping = (data) => process.stderr.write(`${describePing('ping', data)}\n`);
    options.onpong = (data) => process.stderr.write(`${describePing('pong', data)}\n`);
  }
  const format = dataFormat(values);
  const display = displayOf(values, { terminal: process.stdout.isTTY === true });
  const separator = separatorOf(values);
  const execute = listFlag(values, 'execute');
  const waitText = stringFlag(values, 'wait');
  const waitMs = waitText === undefined ? undefined : FOREVER.has(waitText) ? Infinity : parseSeconds(waitText, '--wait', { allowZero: true });
  const oneMessage = values['one-message'] === true;
  const verbose = values.verbose === true;

  let ws: WebSocket;
  try {
    ws = await connectEngine(url, options);
  } catch (error) {
    // What the flags did not catch (HTTPS_PROXY from the environment): the engine refused an argument, nothing was sent.
    if (error instanceof TypeError || error instanceof RangeError) throw new UsageError(error.message.replace(/^websocket connect failed: /, ''), connect);
    if (!(error instanceof ConnectError)) throw error;
    process.stderr.write(`scriptling-ws: ${error.message}\n`);
    return Exit.CONNECT_FAILED;
  }
  if (verbose) printHandshake(ws, url, process.stderr);

  const interactiveMode = execute.length === 0 && process.stdin.isTTY === true && !oneMessage;
  if (interactiveMode) {
    await interactive(ws, { format, display, showPingPong: values['show-ping-pong'] === true });
  } else {
    const output = streamOutput(separator, { json: display.json });
    const interrupt = () => void ws.close().catch(() => {});
    process.once('SIGINT', interrupt);
    const refused = await scripted(ws, output, { format, display, separator, execute, waitMs, oneMessage });
    process.removeListener('SIGINT', interrupt);
    const status = closeStatus(ws, verbose);
    // A line that was not valid --hex/--base64 was not sent: a script must not take that for success.
    if (status === Exit.OK && refused > 0) {
      process.stderr.write(`scriptling-ws: ${refused} input record(s) refused (not sent)\n`);
      return Exit.USAGE;
    }
    return status;
  }
  return closeStatus(ws, true);
}

/**
 * The engine options the flags ask for, checked here with the engine's own
 * checks so that a mistake is one line naming its flag (exit 2), not a
 * TypeError about an option the user never wrote.
 */
function clientOptions(values: Values): ClientOptions {
  const headers = parseHeaders(listFlag(values, 'header'));
  const origin = stringFlag(values, 'origin');
  if (origin !== undefined) {
    if (Object.keys(headers).some((name) => name.toLowerCase() === 'origin')) throw new UsageError('give the Origin with -o or with -H, not both');
    headers.Origin = [origin];
  }
  if (Object.keys(headers).some((name) => name.toLowerCase() === 'sec-websocket-protocol')) {
    throw new UsageError('-H Sec-WebSocket-Protocol: offer subprotocols with -s NAME (repeatable) instead');
  }
  flagCheck(() => checkHeaders(headers), { flag: '-H' });
  const options: ClientOptions = { headers, ...sessionOptions(values) };
  const protocols = listFlag(values, 'subprotocol');
  if (protocols.length > 0) options.protocols = flagCheck(() => checkProtocols(protocols, '-s'));
  const ca = readFlagFile(values, 'ca');
  const cert = readFlagFile(values, 'cert');
  const key = readFlagFile(values, 'key');
  if (ca !== undefined) options.ca = ca;
  if (cert !== undefined) options.cert = cert;
  if (key !== undefined) options.key = key;
  const passphrase = stringFlag(values, 'passphrase');
  if (passphrase !== undefined) options.passphrase = passphrase;
  if (values.insecure === true) options.rejectUnauthorized = false;
  const proxy = stringFlag(values, 'proxy');
  if (proxy !== undefined) {
    flagCheck(() => parseProxyUrl(proxy, '--proxy'));
    options.proxy = proxy;
  }
  if (values['no-deflate'] === true) options.perMessageDeflate = false;
  if (values.location === true) options.maxRedirects = DEFAULT_MAX_REDIRECTS;
  const timeout = stringFlag(values, 'timeout');
  if (timeout !== undefined) options.timeout = parseSeconds(timeout, '--timeout');
  return options;
}

interface ScriptedOptions {
  format: DataFormat;
  display: Display;
  separator: Separator;
  execute: string[];
  waitMs: number | undefined;
  oneMessage: boolean;
}

/**
 * Sends -x messages or stdin's records while printing what arrives; when the
 * input is done (and the wait is over, or the one message came), closes
 * with 1000 and returns once the closing handshake is finished, with the
 * number of input records refused as bad --hex/--base64.
 */
async function scripted(ws: WebSocket, output: Output, options: ScriptedOptions): Promise<number> {
  const { format, oneMessage } = options;
  const received = printMessages(ws, output, format, options.display, { limit: oneMessage ? 1 : Infinity });
  const stopWaiting = new AbortController();
  const wait = (ms: number) => delay(ms, undefined, { signal: stopWaiting.signal }).catch(() => {});
  let waitMs = options.waitMs;
  const sent = { refused: 0 };
  if (options.execute.length > 0) {
    await sendAll(ws, output, options.execute, format, sent);
    waitMs ??= oneMessage ? undefined : DEFAULT_EXECUTE_WAIT_MS;
  } else {
    await Promise.race([received, sendAll(ws, output, records(process.stdin, options.separator), format, sent)]);
    if (!oneMessage) waitMs ??= 0;
  }
  // -1 without -w waits for its message as long as it takes.
  // Infinity (--wait forever) too: a timer would read it as 1 ms.
  await (waitMs === undefined || waitMs === Infinity ? received : Promise.race([received, wait(waitMs)]));
  stopWaiting.abort();
  await ws.close().catch(() => {});
  await received;
  return sent.refused;
}

async function sendAll(ws: WebSocket, output: Output, input: Iterable<string> | AsyncIterable<string>, format: DataFormat, sent: { refused: number }): Promise<void> {
  for await (const record of input) {
    if (ws.state !== State.OPEN) return;
    try {
      await ws.send(encodeInput(record, format));
    } catch (error) {
      if (!(error instanceof InputError)) return; // the connection closed under us: the receive side reports it
      sent.refused++;
      output.note(`scriptling-ws: ${error.message} (not sent)`);
    }
  }
}

/** The exit status for how the connection ended; notes any close that is not normal (or every close when asked). */
function closeStatus(ws: WebSocket, alwaysNote: boolean): number {
  const info = ws.closeInfo;
  const code = info?.code ?? 1006;
  const status = exitCodeForClose(code);
  if (status !== Exit.OK || alwaysNote) {
    const reason = info?.reason ? ` ${escapeControls(info.reason)}` : ''; // the peer's words, on a terminal
    process.stderr.write(`connection closed: ${code}${reason}\n`);
  }
  return status;
}
