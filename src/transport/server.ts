import http from 'node:http';
import https from 'node:https';
import type http2 from 'node:http2';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { Connection } from '../protocol/connection.js';
import { CloseCode } from '../protocol/close-codes.js';
import { WebSocketError } from '../protocol/errors.js';
import { PerMessageDeflate, deflateSetting, type DeflateOptions } from '../protocol/deflate.js';
import { DEFAULT_MAX_HEAD_SIZE, type PeerCertificate } from '../protocol/handshake.js';
import {
  ServerHandshake, encodeRefusal, isRefusal, originForm, readVerdict, refusal, type Agreement, type Refusal, type RequestHead,
} from '../protocol/server-handshake.js';
import { WebSocket, formatAddress, type ConnectionLimits } from './websocket.js';
import { resolveLimits, type ResolvedLimits } from '../protocol/limits.js';
import { Routes, type ConnectionHandler, type Route, type RouteOptions, type UpgradeRequest } from './routes.js';
import { HeadDeadlines } from './deadlines.js';
import { MAX_TIMER_DELAY, clearTimer, setTimer, type Timer } from './timers.js';
import { report, type ErrorReporter } from './report.js';
import { ExtendedConnectHandshake } from '../protocol/extended-connect.js';
import type { RequestInfo } from '../protocol/handshake.js';
import {
  acceptStream, closeWhenIdle, connectRequest, createHttp2Server, http2Limits, isHttp2Server, listenForStreams, refuseStream, resetStream,
  type AnyHttp2Server, type Http2Limits,
} from './http2-server.js';
import { TopicHub, type TopicCounts } from './topics.js';
import type { PubSub, PubSubFactory } from './pubsub/pubsub.js';

export type { ConnectionHandler, RouteOptions, Authorize, UpgradeRequest } from './routes.js';
export type RequestHandler = (request: http.IncomingMessage, response: http.ServerResponse) => void;

export interface ServerOptions extends ConnectionLimits {
  /** Default "127.0.0.1". */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** Serve wss:// (https) with these TLS settings; `requestCert: true` asks clients for a certificate (`ws.request.certificate`). */
  tls?: https.ServerOptions;
  /** Accept permessage-deflate offers (RFC 7692): true (default), false, or its settings. */
  perMessageDeflate?: boolean | DeflateOptions;
  /**
   * Time from TCP accept to the end of the request head (TLS included), and
   * then for `authorize` to answer, in ms. Default 10000; Infinity: no limit.
   */
  handshakeTimeout?: number;
  /** Largest request head accepted, in bytes. Default 16 KiB. */
  maxHeadSize?: number;
  /** Most simultaneous TCP connections; further ones are accepted and closed at once. Default unlimited. */
  maxConnections?: number;
  /** Answers plain HTTP requests on paths that are not WebSocket endpoints. Default: 404. */
  onRequest?: RequestHandler;
  /** Where handler, authorize and onRequest failures are reported. Default: console.error. */
  onError?: ErrorReporter;
  /**
   * Also accept WebSockets over HTTP/2 (RFC 8441) on the same port as
   * HTTP/1.1 upgrades: true or its limits. Needs `tls` (browsers speak
   * HTTP/2 over TLS only). Default false.
   */
  http2?: boolean | Http2Limits;
  /** Most topics one connection may subscribe to at once (`ws.subscribe`). Default 1000. */
  maxTopicsPerConnection?: number;
  /**
   * Joins this server's topics to other processes' (`redisPubSub(url)`, or
   * a node:cluster worker's link to its primary). Default: this process alone.
   */
  pubsub?: PubSubFactory;
}

/** A handshake on either transport: what `authorize` sees and what accepting gives. */
interface Opening<A> {
  readonly request: RequestInfo;
  accept(headers?: Record<string, unknown>): A;
}

type UpgradeListener = (request: http.IncomingMessage, socket: Duplex, head: Buffer) => void;

/** How long a refused client may keep its socket after our answer is written, in ms. */
const REFUSAL_LINGER = 500;

/** Paths are matched without the query string. */
const pathOf = (url: string | undefined): string => {
  const raw = originForm(url ?? '/').path;
  const q = raw.indexOf('?');
  return q === -1 ? raw : raw.slice(0, q);
};

/**
 * A WebSocket server: on its own node:http (or node:https for wss://)
 * server, or on an existing one's 'upgrade' events (`attach`,
 * `handleUpgrade`). node:http parses the request head; the handshake
 * itself is `ServerHandshake`'s, the frames and everything after are ours.
 */
export class WebSocketServer {
  private readonly routes = new Routes();
  /** Each open connection and the promise of its handler's end (run() never rejects). */
  private readonly sessions = new Map<WebSocket, Promise<void>>();
  /** Handshakes whose `authorize` is still running, each with what stops it. */
  private readonly pending = new Map<object, () => void>();
  private readonly deflateOptions: DeflateOptions | null;
  private readonly handshakeTimeout: number;
  private server: http.Server | http2.Http2SecureServer | null = null;
  private readonly attached: Array<{ server: http.Server | AnyHttp2Server; listener: UpgradeListener; detach?: () => void }> = [];
  private readonly http2: Required<Http2Limits> | null;
  private closing = false;
  private readonly topics: TopicHub;
  private readonly limits: ResolvedLimits;

  constructor(private readonly options: ServerOptions = {}) {
    this.handshakeTimeout = options.handshakeTimeout ?? 10_000;
    if (!(this.handshakeTimeout > 0)) throw new RangeError(`handshakeTimeout must be a number of ms > 0 (Infinity: no limit), not ${String(options.handshakeTimeout)}`);
    checkCount(options.maxHeadSize, 'maxHeadSize');
    checkCount(options.maxConnections, 'maxConnections');
    this.limits = resolveLimits(options); // once for every connection of this server
    if (options.maxTopicsPerConnection !== undefined && !(Number.isInteger(options.maxTopicsPerConnection) && options.maxTopicsPerConnection > 0)) {
      throw new RangeError(`maxTopicsPerConnection must be an integer > 0, not ${String(options.maxTopicsPerConnection)}`);
    }
    this.deflateOptions = deflateSetting(options.perMessageDeflate);
    this.http2 = http2Limits(options.http2);
    if (this.http2 !== null && options.tls === undefined) throw new TypeError('http2 needs tls: WebSockets over HTTP/2 are served on wss:// (https) only');
    this.topics = new TopicHub(options.maxTopicsPerConnection, options.pubsub ?? null);
  }

  /**
   * Sends `data` to every connection subscribed to `topic` (`ws.subscribe`)
   * on this server and on every process joined through `pubsub`, each
   * once; returns at once with how many of this process's connections it
   * went to. A string is text, bytes are binary unless `binary: false`
   * (then they must be UTF-8). A subscriber over its sendHighWaterMark
   * misses the message (`topicCounts.skipped`) instead of stalling the others.
   */
  publish(topic: string, data: string | Uint8Array, options?: { binary?: boolean }): number {
    return this.topics.publish(topic, data, options);
  }

  /** Deliveries to this process's subscribers so far, and those skipped at slow ones. */
  get topicCounts(): Readonly<TopicCounts> {
    return this.topics.counts;
  }

  /** The link to other processes (its counters, for monitoring), or null. */
  get pubsub(): PubSub | null {
    return this.topics.pubsub;
  }

  /**
   * Registers the handler for WebSocket connections on `path`; a path
   * ending in "/*" takes every path under it. `options` hold the route's
   * subprotocols, allowed origins and `authorize` hook.
   */
  route(path: string, handler: ConnectionHandler, options?: RouteOptions): this {
    this.routes.add(path, handler, options);
    return this;
  }

  async listen(port = this.options.port ?? 0, host = this.options.host ?? '127.0.0.1'): Promise<{ port: number; host: string }> {
    if (this.server !== null) throw new Error('this server is already listening');
    const server = this.createServer();
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.removeListener('error', reject);
        resolve();
      });
    });
    const address = server.address() as { port: number; address: string };
    return { port: address.port, host: address.address };
  }

  /**
   * Takes the WebSocket upgrades of an existing node:http or node:https
   * server (every 'upgrade' event: unknown paths get 404). Its other
   * requests stay its own; `close()` detaches and closes our connections only.
   */
  attach(server: http.Server | AnyHttp2Server): this {
    const listener: UpgradeListener = (request, socket, head) => this.handleUpgrade(request, socket, head);
    server.on('upgrade', listener);
    // An HTTP/2 server: its WebSocket CONNECT streams too (RFC 8441), advertised for sessions that start from now.
    const detach = isHttp2Server(server) ? listenForStreams(server, (stream, headers, raw) => this.handleStream(stream, headers, raw)) : undefined;
    this.attached.push({ server, listener, detach });
    return this;
  }

  /**
   * Handles one upgrade request handed over from an existing server's
   * 'upgrade' event (ws' noServer mode): answers it with a 101 and runs the
   * route's handler, or refuses it (404, 400, 403, 426…) and closes the socket.
   */
  handleUpgrade(request: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', ignore); // a reset during the handshake must not crash the process
    try {
      this.upgrade(request, socket, head);
    } catch (error) {
      // Our own bug: it may cost this connection, never the process (or the caller's 'upgrade' listener).
      this.report(error, `upgrade to ${pathOf(request.url)}`);
      socket.destroy();
    }
  }

  private upgrade(request: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = pathOf(request.url);
    if (this.closing) return release(socket, refusal(503, 'server shutting down'));
    const route = this.routes.find(path);
    if (route === undefined) return release(socket, refusal(404, `no WebSocket endpoint at ${path}`));
    const handshake = new ServerHandshake(requestHead(request, socket), { ...route.policy, deflate: this.deflateOptions });
    const refused = handshake.check();
    if (refused !== null) return release(socket, refused);
    if (route.authorize === null) return this.open(route, handshake.accept(), request, socket, head);
    void this.authorize(route, handshake, socket, (outcome) => release(socket, outcome))
      .then((agreement) => agreement !== null && this.open(route, agreement, request, socket, head))
      .catch((error: unknown) => {
        this.report(error, `opening ${path}`);
        socket.destroy();
      });
  }

  /**
   * Handles one WebSocket CONNECT stream of an HTTP/2 session (RFC 8441)
   * as `handleUpgrade` handles an HTTP/1.1 upgrade: the same routes,
   * checks, `authorize` and handler; answered 200, or refused with a status.
   * Any failure resets this stream only, never the session.
   */
  handleStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, rawHeaders: string[]): void {
    stream.on('error', ignore); // a reset during the handshake must not crash the process
    try {
      this.openStream(stream, headers, rawHeaders);
    } catch (error) {
      this.report(error, `extended CONNECT to ${pathOf(headers[':path'])}`);
      resetStream(stream);
    }
  }

  private openStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, rawHeaders: string[]): void {
    const path = pathOf(headers[':path']);
    if (this.closing) return refuseStream(stream, refusal(503, 'server shutting down'));
    const route = this.routes.find(path);
    if (route === undefined) return refuseStream(stream, refusal(404, `no WebSocket endpoint at ${path}`));
    const tcp = stream.session?.socket;
    const handshake = new ExtendedConnectHandshake({
      headers,
      rawHeaders,
      remoteAddress: formatAddress(tcp?.remoteAddress, tcp?.remotePort),
      certificate: tcp instanceof TLSSocket ? peerCertificate(tcp) : undefined,
    }, { ...route.policy, deflate: this.deflateOptions });
    const refused = handshake.check();
    if (refused !== null) return refuseStream(stream, refused);
    const request = connectRequest(stream, headers, rawHeaders);
    const start = (agreement: ReturnType<ExtendedConnectHandshake['accept']>): void => {
      const socket = acceptStream(stream, agreement);
      if (socket === null) return; // the client reset the stream meanwhile
      this.startSession(route, socket, agreement, request);
    };
    if (route.authorize === null) return start(handshake.accept());
    void this.authorize(route, handshake, stream, (outcome) => refuseStream(stream, outcome))
      .then((agreement) => agreement !== null && start(agreement))
      .catch((error: unknown) => {
        this.report(error, `opening ${path}`);
        resetStream(stream);
      });
  }

  /** The port listened on (or of the first attached server). */
  get port(): number {
    const server = this.server ?? this.attached[0]?.server;
    return (server?.address() as { port: number } | null)?.port ?? 0;
  }

  /** Number of open WebSocket connections. */
  get connectionCount(): number {
    return this.sessions.size;
  }

  /**
   * Stops accepting (detaching from attached servers), closes every
   * connection with 1001 (going away) and resolves once their handlers have
   * returned, or after `timeout` ms, when what is left is dropped.
   */
  async close(timeout = this.limits.closeTimeout): Promise<void> {
    this.closing = true;
    for (const { server, listener, detach } of this.attached.splice(0)) {
      server.removeListener('upgrade', listener);
      detach?.();
    }
    const server = this.server;
    const stopped = server === null ? Promise.resolve() : new Promise<void>((resolve) => server.close(() => resolve()));
    if (server !== null && 'closeIdleConnections' in server) server.closeIdleConnections();
    for (const stop of this.pending.values()) stop();
    const sessions = [...this.sessions];
    for (const [ws] of sessions) void ws.close(CloseCode.GOING_AWAY, 'server shutting down').catch(ignore);
    let timer: Timer | null = null;
    const expired = new Promise<boolean>((resolve) => {
      if (Number.isFinite(timeout)) timer = setTimer(() => resolve(true), timeout);
    });
    const timedOut = await Promise.race([Promise.all(sessions.map(([, done]) => done)).then(() => false), expired]);
    clearTimer(timer);
    if (timedOut) for (const [ws] of sessions) ws.terminate();
    if (server !== null && 'closeAllConnections' in server) server.closeAllConnections();
    else this.closeSessions();
    await Promise.all([stopped, this.topics.close()]);
  }

  private createServer(): http.Server | http2.Http2SecureServer {
    const { tls, maxHeadSize, maxConnections } = this.options;
    // node:http wants 0 for "no limit"; it checks its timeouts on an interval (30 s by default), too coarse for a handshake.
    const timeout = this.handshakeTimeout <= MAX_TIMER_DELAY ? this.handshakeTimeout : 0;
    const httpOptions: http.ServerOptions = {
      maxHeaderSize: maxHeadSize ?? DEFAULT_MAX_HEAD_SIZE,
      headersTimeout: timeout,
      // Node 18 before 18.14 refuses a headersTimeout equal to requestTimeout; 1 ms more changes nothing else.
      requestTimeout: timeout === 0 ? 0 : timeout + 1,
      connectionsCheckingInterval: Math.max(100, Math.min(1000, (timeout || 4000) / 4)),
      noDelay: true,
    };
    const server = this.http2 !== null
      ? this.createHttp2Server(this.http2, httpOptions)
      : tls ? https.createServer({ ...httpOptions, ...tls }) : http.createServer(httpOptions);
    if (maxConnections !== undefined && maxConnections !== Infinity) server.maxConnections = maxConnections;
    // node:http's headersTimeout starts only once TLS is done, and node:tls allows 120 s for that.
    const deadlines = new HeadDeadlines(this.handshakeTimeout, { keyedBy: tls || this.http2 !== null ? 'address' : 'socket' });
    server.on('connection', (socket: Socket) => deadlines.start(socket));
    // An HTTP/2 session is under way once TLS and its preface are done; its streams have their own limits.
    server.on('session', (session: http2.ServerHttp2Session) => deadlines.settle(session.socket as Socket));
    server.on('upgrade', (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      deadlines.settle(request.socket);
      this.handleUpgrade(request, socket, head);
    });
    server.on('request', (request: http.IncomingMessage, response: http.ServerResponse) => {
      deadlines.settle(request.socket);
      this.request(request, response);
    });
    return server;
  }

  /**
   * HTTP/2 and HTTP/1.1 on one port (ALPN decides): node:http's own
   * settings apply to the HTTP/1.1 connections, our stream listener to
   * the HTTP/2 sessions, which are counted as open from their first frame.
   */
  private createHttp2Server(limits: Required<Http2Limits>, httpOptions: http.ServerOptions): http2.Http2SecureServer {
    // node:http's options (head size, timeouts) at the top level: node:http2 reads them for its HTTP/1.1 connections.
    const server = createHttp2Server({ ...httpOptions, ...this.options.tls } as http2.SecureServerOptions, limits, httpOptions.maxHeaderSize!);
    listenForStreams(server, (stream, headers, raw) => this.handleStream(stream, headers, raw));
    this.h2Sessions = new Set();
    server.on('session', (session: http2.ServerHttp2Session) => {
      closeWhenIdle(session, limits.idleTimeout);
      this.h2Sessions!.add(session);
      session.once('close', () => this.h2Sessions!.delete(session));
    });
    return server;
  }

  /** Our HTTP/2 sessions, closed by close() once their WebSockets are (node:http2 has no closeAllConnections). */
  private h2Sessions: Set<http2.ServerHttp2Session> | null = null;

  private closeSessions(): void {
    for (const session of this.h2Sessions ?? []) session.destroy();
  }

  private request(request: http.IncomingMessage, response: http.ServerResponse): void {
    const route = this.routes.find(pathOf(request.url));
    if (route !== undefined && request.httpVersionMajor === 2) {
      // HTTP/2 has no Upgrade (nor Connection) header: its WebSockets come as an extended CONNECT.
      response.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' });
      response.end('WebSockets over HTTP/2 open with an extended CONNECT (RFC 8441)\n');
      return;
    }
    if (route !== undefined) {
      // A request to a WebSocket endpoint that node:http did not take as an upgrade.
      const handshake = new ServerHandshake(requestHead(request, request.socket), { ...route.policy, deflate: null });
      const refused = handshake.check() ?? refusal(400, 'not a WebSocket upgrade (RFC 6455 §4.2.1)');
      response.writeHead(refused.status, { Connection: 'close', 'Content-Type': 'text/plain; charset=utf-8', ...Object.fromEntries(refused.headers) });
      response.end(refused.body);
      return;
    }
    if (this.options.onRequest === undefined) {
      response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      response.end('Not found\n');
      return;
    }
    try {
      this.options.onRequest(request, response);
    } catch (error) {
      this.report(error, `onRequest for ${pathOf(request.url)}`);
      if (!response.headersSent) response.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      response.end();
    }
  }

  /**
   * Runs the route's `authorize` hook, bounded by handshakeTimeout and cut
   * short by close(). Returns what was agreed, or null once it has refused
   * (and released) the socket: a throw or a malformed answer → 500, no
   * answer in time → 503, both reported; shutting down → 503.
   */
  private async authorize<A extends object>(route: Route, handshake: Opening<A>, socket: object, refuse: (refused: Refusal) => void): Promise<A | null> {
    const where = `authorize for ${handshake.request.path}`;
    let timer: Timer | null = null;
    const interrupted = new Promise<typeof TIMED_OUT | typeof SHUTTING_DOWN>((resolve) => {
      if (Number.isFinite(this.handshakeTimeout)) timer = setTimer(() => resolve(TIMED_OUT), this.handshakeTimeout);
      this.pending.set(socket, () => resolve(SHUTTING_DOWN));
    });
    let outcome: A | Refusal;
    try {
      const verdict = await Promise.race([Promise.resolve(handshake.request).then(route.authorize!), interrupted]);
      if (verdict === SHUTTING_DOWN) {
        outcome = refusal(503, 'server shutting down');
      } else if (verdict === TIMED_OUT) {
        this.report(new Error(`authorize did not answer within handshakeTimeout (${this.handshakeTimeout} ms)`), where);
        outcome = refusal(503, 'authorization timed out');
      } else {
        const read = readVerdict(verdict);
        outcome = isRefusal(read) ? read : handshake.accept(read.headers);
      }
    } catch (error) {
      this.report(error, where);
      outcome = refusal(500, 'internal server error');
    } finally {
      clearTimer(timer);
      this.pending.delete(socket);
    }
    if (!isRefusal(outcome) && this.closing) outcome = refusal(503, 'server shutting down');
    if (isRefusal(outcome)) {
      refuse(outcome);
      return null;
    }
    return outcome;
  }

  private open(route: Route, agreement: Agreement, request: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.write(agreement.response);
    this.startSession(route, socket as Socket, agreement, request, head);
    // The WebSocket listens for errors itself now: the handshake's listener would only cost an array per connection.
    socket.removeListener('error', ignore);
  }

  /** The connection and its handler, once the handshake is answered (101 here, or 200 on an HTTP/2 stream); `head`: bytes read past it. */
  private startSession(route: Route, socket: Socket, agreement: Omit<Agreement, 'response'>, request: UpgradeRequest, head?: Buffer): void {
    const connection = new Connection({
      side: 'server',
      maxMessageSize: this.limits.maxMessageSize,
      textAsBytes: this.options.textAsBytes,
      deflate: agreement.deflate ? new PerMessageDeflate(agreement.deflate, this.deflateOptions!) : null,
    });
    const ws = new WebSocket(socket, connection, {
      ...this.options,
      limits: this.limits,
      extensions: agreement.extensions,
      protocol: agreement.protocol,
      request: agreement.request,
      handshake: agreement.handshake,
      head,
      topics: this.topics,
    });
    this.sessions.set(ws, this.run(route.handler, ws, request));
  }

  /**
   * Runs a handler for the connection's lifetime, starting it on the next
   * microtask: returning closes with 1000, throwing (at once or later)
   * closes with 1011 (§7.4.1) and is reported, never thrown. The promise
   * never rejects, whatever the handler or onError do. One async function,
   * so an idle connection holds one pending frame here and no chain of
   * promises and closures.
   */
  private async run(handler: ConnectionHandler, ws: WebSocket, request: UpgradeRequest | null): Promise<void> {
    // Only the handler's part here: this frame waits as long as the connection, and a frame's size grows with its code.
    try {
      await undefined;
      const handling = handler(ws, request!);
      // It must not keep the upgrade request, its headers and stream alive meanwhile.
      request = null;
      await handling;
    } catch (error) {
      return this.end(ws, { error });
    }
    return this.end(ws, null);
  }

  /** After the handler: close with 1000, or fail with 1011 and report when it threw (`failure`). */
  private async end(ws: WebSocket, failure: { error: unknown } | null): Promise<void> {
    try {
      if (failure === null) {
        await ws.close(CloseCode.NORMAL);
      } else {
        ws.fail(new WebSocketError('WS_ERR_HANDLER', CloseCode.INTERNAL_ERROR, 'handler failed'));
        this.report(failure.error, handlerName(ws));
        await ws.whenClosed();
      }
    } catch (error) {
      this.report(error, `closing after the ${handlerName(ws)}`);
      ws.terminate();
    } finally {
      this.sessions.delete(ws);
    }
  }

  private report(error: unknown, where: string): void {
    report(this.options.onError, error, where);
  }
}


const TIMED_OUT = Symbol('timed out');
const SHUTTING_DOWN = Symbol('shutting down');

function ignore(): void {}

/**
 * Writes a refusal and lets the socket go once the client ends, or after a
 * short linger, so a client that never closes holds neither the socket nor
 * a slot of maxConnections. Meanwhile what it sends is read and dropped:
 * closing with unread data would reset the connection and could destroy the
 * answer before the client reads it (RFC 7230 §6.6).
 */
function release(socket: Duplex, refused: Refusal): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const timer = setTimeout(() => socket.destroy(), REFUSAL_LINGER);
  socket.once('close', () => clearTimeout(timer));
  socket.once('end', () => socket.destroy());
  socket.resume();
  socket.end(encodeRefusal(refused));
}

function requestHead(request: http.IncomingMessage, socket: Duplex): RequestHead {
  const { remoteAddress, remotePort } = socket as Socket;
  return {
    method: request.method ?? 'GET',
    httpVersion: request.httpVersion,
    url: request.url ?? '/',
    rawHeaders: request.rawHeaders,
    remoteAddress: formatAddress(remoteAddress, remotePort),
    certificate: socket instanceof TLSSocket ? peerCertificate(socket) : undefined,
  };
}

function peerCertificate(socket: TLSSocket): PeerCertificate | undefined {
  const cert = socket.getPeerCertificate();
  if (cert === null || typeof cert !== 'object' || cert.fingerprint256 === undefined) return undefined;
  return {
    subject: { ...cert.subject },
    issuer: { ...cert.issuer },
    valid_from: cert.valid_from,
    valid_to: cert.valid_to,
    serialNumber: cert.serialNumber,
    fingerprint256: cert.fingerprint256,
    authorized: socket.authorized,
  };
}

/** A size or count option: absent, an integer ≥ 0, or Infinity. */
function checkCount(value: unknown, name: string): void {
  if (value !== undefined && !(value === Infinity || (Number.isInteger(value) && (value as number) >= 0))) {
    throw new RangeError(`${name} must be an integer ≥ 0 (or Infinity), not ${String(value)}`);
  }
}

const handlerName = (ws: WebSocket): string => `WebSocket handler for ${ws.request?.path ?? '/'}`;

