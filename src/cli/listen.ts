/**
 * `scriptling-ws listen --port P`: a server for poking at clients. Every
 * client gets an id shown with its messages; a line on stdin goes to all of
 * them (or `/to ID message`); Ctrl-C closes every connection with 1001.
 */
import type http from 'node:http';
import { WebSocketServer, type ConnectionHandler, type RouteOptions, type ServerOptions, type UpgradeRequest } from '../transport/server.js';
import type { WebSocket } from '../transport/websocket.js';
import { UsageError, listFlag, stringFlag, type Values } from './args.js';
import { ADDRESS_FLAGS, hostPort, listenAddress } from './address.js';
import { DATA_FORMAT_FLAGS, dataFormat, encodeInput, type DataFormat } from './data-format.js';
import { DISPLAY_FLAGS, displayOf, escapeControls, show, type Display } from './display.js';
import { streamOutput, type Output } from './output.js';
import { records } from './records.js';
import { describePing, prefixLines, printMessages, sendable } from './session.js';
import { untilInterrupted } from './signals.js';
import { flagCheck, readFlagFile } from './values.js';
import { checkProtocols } from '../protocol/subprotocols.js';
import { SESSION_FLAGS, sessionOptions, separatorOf } from './session-flags.js';
import type { Command } from './command.js';

/** How long a send may wait for a client before stderr says that stdin is waiting for it. */
const SLOW_CLIENT_NOTICE_MS = 1000;

export const listen: Command = {
  name: 'listen',
  summary: 'a WebSocket server for testing clients: prints what each client sends, sends what you type',
  flags: {
    ...ADDRESS_FLAGS,
    path: { type: 'string', value: 'PATH', help: 'the WebSocket endpoint (default /)' },
    echo: { type: 'boolean', short: 'e', help: 'send every message back to its sender' },
    cert: { type: 'string', value: 'FILE', help: 'certificate (PEM): serve wss://' },
    key: { type: 'string', value: 'FILE', help: 'private key (PEM) of --cert' },
    passphrase: { type: 'string', value: 'TEXT', help: 'passphrase of --key' },
    subprotocol: { type: 'string', short: 's', multiple: true, value: 'NAME', help: 'accept this subprotocol (first match in this order wins)' },
    'no-deflate': { type: 'boolean', help: 'do not accept permessage-deflate' },
    ...DATA_FORMAT_FLAGS,
    ...DISPLAY_FLAGS,
    ...SESSION_FLAGS,
    verbose: { type: 'boolean', short: 'v', help: 'print each opening handshake' },
  },
  notes: `stdin: a line is sent to every client; "/to ID message" to one; "/close ID [code [reason]]"
closes one; "/list" lists them. Messages print as "[ID] message" on stdout; connects and
closes go to stderr. Ctrl-C closes every connection with 1001 (going away) and exits 0.
Backpressure: the next stdin line is read once every client has taken the last one (at most
1 MiB unsent per client); a client that stops reading is closed by keepalive (1011). While
stdout is full, clients' messages are not read (TCP slows them down).`,
  run,
};

async function run({ values }: { values: Values }): Promise<number> {
  if (stringFlag(values, 'port') === undefined) throw new UsageError('listen needs --port (0 picks a free one)', listen);
  const { host, port } = listenAddress(values, 0, { fromEnv: false });
  const path = stringFlag(values, 'path') ?? '/';
  if (!path.startsWith('/')) throw new UsageError(`--path must start with "/", not ${JSON.stringify(path)}`, listen);
  const format = dataFormat(values);
  const display = displayOf(values, { terminal: process.stdout.isTTY === true });
  const separator = separatorOf(values);
  const output = streamOutput(separator, { json: display.json });
  const clients = new Clients(output, format, display);
  const server = new WebSocketServer(serverOptions(values));
  const routeOptions: RouteOptions = {};
  const protocols = listFlag(values, 'subprotocol');
  if (protocols.length > 0) routeOptions.protocols = flagCheck(() => checkProtocols(protocols, '-s'));
  const handler: ConnectionHandler = (ws, request) => clients.serve(ws, request, {
    echo: values.echo === true,
    verbose: values.verbose === true,
    showPingPong: values['show-ping-pong'] === true,
  });
  server.route(path, handler, routeOptions);
  const bound = await server.listen(port, host);
  const scheme = values.cert === undefined ? 'ws' : 'wss';
  output.note(`listening on ${scheme}://${hostPort(bound.host, bound.port)}${path} (Ctrl-C stops)`);

  clients.readCommands(records(process.stdin, separator)).catch((error: Error) => output.note(`stdin: ${error.message}`));
  await untilInterrupted();
  output.note(`closing ${clients.size} connection(s) with 1001`);
  await server.close();
  return 0;
}

function serverOptions(values: Values): ServerOptions & ReturnType<typeof sessionOptions> {
  const options: ServerOptions = { onError: (error) => process.stderr.write(`scriptling-ws: ${(error as Error).message}\n`) };
  const cert = readFlagFile(values, 'cert');
  const key = readFlagFile(values, 'key');
  if ((cert === undefined) !== (key === undefined)) throw new UsageError('--cert and --key go together', listen);
  if (cert !== undefined) {
    const passphrase = stringFlag(values, 'passphrase');
    options.tls = { cert, key, ...(passphrase === undefined ? {} : { passphrase }) };
  } else if (values.passphrase !== undefined) {
    throw new UsageError('--passphrase needs --cert and --key', listen);
  }
  if (values['no-deflate'] === true) options.perMessageDeflate = false;
  return { ...options, ...sessionOptions(values) };
}

interface ServeOptions {
  echo: boolean;
  verbose: boolean;
  showPingPong: boolean;
}

/** The connected clients by id, and the stdin commands that address them. */
class Clients {
  private readonly byId = new Map<number, WebSocket>();
  /** Clients already reported as not keeping up with what we send (reported once each). */
  private readonly slow = new Set<number>();
  private nextId = 1;

  constructor(private readonly output: Output, private readonly format: DataFormat, private readonly display: Display) {}

  get size(): number {
    return this.byId.size;
  }

  async serve(ws: WebSocket, request: UpgradeRequest, options: ServeOptions): Promise<void> {
    const id = this.nextId++;
    const tag = `[${id}]`;
    this.byId.set(id, ws);
    const { output } = this;
    output.note(`${tag} connected from ${ws.remoteAddress}${ws.protocol ? ` (subprotocol ${ws.protocol})` : ''}`);
    if (options.verbose) {
      output.note(prefixLines(requestHead(request), `${tag} > `).trimEnd());
      if (ws.handshake !== null) output.note(prefixLines(ws.handshake.response, `${tag} < `).trimEnd());
    }
    if (options.showPingPong) {
      ws.onping = (data) => output.note(`${tag} ${describePing('ping', data)}`);
      ws.onpong = (data) => output.note(`${tag} ${describePing('pong', data)}`);
    }
    try {
      if (options.echo) {
        for (;;) {
          const message = await ws.receive();
          if (message === null) break;
          if (!output.message(show(message, this.format, this.display), tag)) await output.writable();
          await ws.send(sendable(message)).catch(() => {});
        }
      } else {
        await printMessages(ws, output, this.format, this.display, { from: tag });
      }
    } finally {
      this.byId.delete(id);
      this.slow.delete(id);
      await ws.close().catch(() => {});
      const info = ws.closeInfo;
      output.note(`${tag} closed: ${info?.code ?? 1006}${info?.reason ? ` ${escapeControls(info.reason)}` : ''}`);
    }
  }

  /**
   * Runs stdin's lines one after the other: the next is read only once the
   * last one's sends are taken, so a client that reads slowly (or not at all)
   * holds at most the engine's send high-water mark of our output, and piped
   * input waits for it instead of piling up in memory.
   */
  async readCommands(input: AsyncIterable<string>): Promise<void> {
    for await (const line of input) {
      try {
        await this.command(line);
      } catch (error) {
        // Bad hex, a close code that cannot be sent…: that line is refused, the server keeps running.
        this.output.note(`error: ${(error as Error).message}`);
      }
    }
  }

  private async command(line: string): Promise<void> {
    const words = line.split(' ');
    if (words[0] === '/to' || words[0] === '/close') {
      const id = Number(words[1]);
      const ws = this.byId.get(id);
      if (ws === undefined) {
        this.output.note(`no client ${JSON.stringify(words[1] ?? '')} (/list shows them)`);
      } else if (words[0] === '/to') {
        await this.send([[id, ws]], words.slice(2).join(' '));
      } else {
        const code = words[2] === undefined ? undefined : Number(words[2]);
        ws.close(code, words.slice(3).join(' ')).catch(() => {});
      }
      return;
    }
    if (words[0] === '/list') {
      const ids = [...this.byId].map(([id, ws]) => `[${id}] ${ws.remoteAddress}`);
      this.output.note(ids.length === 0 ? 'no clients' : ids.join('\n'));
      return;
    }
    if (line.startsWith('/') && !line.startsWith('//')) {
      // A mistyped command must not reach the clients as a message.
      this.output.note(`unknown command ${words[0]} (commands: /to, /close, /list; "//" sends a line starting with "/")`);
      return;
    }
    if (this.byId.size === 0) {
      this.output.note('no clients connected: nothing sent');
      return;
    }
    await this.send([...this.byId], line.startsWith('//') ? line.slice(1) : line);
  }

  /** Sends one record to these clients; resolves once every send is taken (or has failed, which is noted). */
  private async send(clients: Array<[number, WebSocket]>, record: string): Promise<void> {
    const data = encodeInput(record, this.format);
    await Promise.all(clients.map(([id, ws]) => {
      const sending = ws.send(data).catch((error: Error) => this.output.note(`[${id}] not sent: ${error.message}`));
      if (!ws.sendWaits || this.slow.has(id)) return sending;
      // A send over the high-water mark that is still not taken after a while: the human should know why input stalls.
      const timer = setTimeout(() => {
        this.slow.add(id);
        this.output.note(`[${id}] is not reading what we send: stdin waits for it (keepalive closes it if it stops answering pings)`);
      }, SLOW_CLIENT_NOTICE_MS);
      return sending.finally(() => clearTimeout(timer));
    }));
  }
}

/** The request head as the client sent it (node:http keeps the raw header lines). */
function requestHead(request: UpgradeRequest): string {
  const lines = [`${request.method} ${request.url} HTTP/${request.httpVersion}`];
  for (let i = 0; i < request.rawHeaders.length; i += 2) lines.push(`${request.rawHeaders[i]}: ${request.rawHeaders[i + 1]}`);
  return lines.join('\r\n');
}
