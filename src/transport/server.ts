import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { Connection } from '../protocol/connection.js';
import { CloseCode } from '../protocol/close-codes.js';
import { WebSocketError } from '../protocol/errors.js';
import { PerMessageDeflate, deflateSetting, negotiateOffer, type DeflateOptions } from '../protocol/deflate.js';
import {
  DEFAULT_MAX_HEAD_SIZE, HandshakeError, buildErrorResponse, buildServerResponse, checkClientRequest,
} from '../protocol/handshake.js';
import { WebSocket, checkConnectionLimits, type ConnectionLimits } from './websocket.js';

export type ConnectionHandler = (ws: WebSocket, request: http.IncomingMessage) => unknown;
export type RequestHandler = (request: http.IncomingMessage, response: http.ServerResponse) => void;

export interface ServerOptions extends ConnectionLimits {
  /** Default "127.0.0.1". */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** Serve wss:// (https) with these TLS settings. */
  tls?: https.ServerOptions;
  /** Accept permessage-deflate offers (RFC 7692): true (default), false, or its settings. */
  perMessageDeflate?: boolean | DeflateOptions;
  /** Time allowed for a client to send its whole handshake, in ms. Default 10000. */
  handshakeTimeout?: number;
  /** Largest request head accepted, in bytes. Default 16 KiB. */
  maxHeadSize?: number;
  /** Most simultaneous TCP connections; more are refused by the kernel backlog. Default unlimited. */
  maxConnections?: number;
  /** Answers plain HTTP requests on paths that are not WebSocket endpoints. Default: 404. */
  onRequest?: RequestHandler;
  /** Where handler failures are reported. Default: console.error. */
  onError?: (error: unknown, where: string) => void;
}

interface Session {
  ws: WebSocket;
  done: Promise<void>;
}

/** Paths are matched without the query string. */
const pathOf = (url: string | undefined): string => {
  const raw = url ?? '/';
  const q = raw.indexOf('?');
  return q === -1 ? raw : raw.slice(0, q);
};

/**
 * A WebSocket server on node:http (or node:https for wss://). node:http
 * parses the request head, with its size and time limits; the handshake
 * checks, the frames and everything after are ours.
 */
export class WebSocketServer {
  private readonly routes = new Map<string, ConnectionHandler>();
  private readonly sessions = new Set<Session>();
  private readonly server: http.Server;
  private readonly deflateOptions: DeflateOptions | null;
  private closing = false;

  constructor(private readonly options: ServerOptions = {}) {
    const timeout = options.handshakeTimeout ?? 10_000;
    const httpOptions: http.ServerOptions = {
      maxHeaderSize: options.maxHeadSize ?? DEFAULT_MAX_HEAD_SIZE,
      headersTimeout: timeout,
      requestTimeout: timeout,
      // Node checks the two timeouts on this interval (30 s by default), too coarse for a handshake limit.
      connectionsCheckingInterval: Math.max(100, Math.min(1000, timeout / 4)),
      noDelay: true,
    };
    this.server = options.tls ? https.createServer({ ...httpOptions, ...options.tls }) : http.createServer(httpOptions);
    if (options.maxConnections !== undefined) this.server.maxConnections = options.maxConnections;
    checkConnectionLimits(options);
    this.deflateOptions = deflateSetting(options.perMessageDeflate);
    this.server.on('upgrade', (request, socket, head) => this.upgrade(request, socket, head));
    this.server.on('request', (request, response) => this.request(request, response));
  }

  /** Registers the handler for WebSocket connections on `path`. */
  route(path: string, handler: ConnectionHandler): this {
    if (typeof path !== 'string' || !path.startsWith('/')) throw new TypeError(`WebSocket path must start with "/": ${JSON.stringify(path)}`);
    if (typeof handler !== 'function') throw new TypeError('handler must be a function');
    this.routes.set(path, handler);
    return this;
  }

  async listen(port = this.options.port ?? 0, host = this.options.host ?? '127.0.0.1'): Promise<{ port: number; host: string }> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.removeListener('error', reject);
        resolve();
      });
    });
    const address = this.server.address() as { port: number; address: string };
    return { port: address.port, host: address.address };
  }

  get port(): number {
    return (this.server.address() as { port: number } | null)?.port ?? 0;
  }

  /** Number of open WebSocket connections. */
  get connectionCount(): number {
    return this.sessions.size;
  }

  /**
   * Stops accepting, closes every connection with 1001 (going away) and
   * resolves once their handlers have returned, or after `timeout` ms, when
   * what is left is dropped.
   */
  async close(timeout = this.options.closeTimeout ?? 5000): Promise<void> {
    this.closing = true;
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const sessions = [...this.sessions];
    for (const { ws } of sessions) void ws.close(CloseCode.GOING_AWAY, 'server shutting down');
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), timeout);
    });
    const finished = await Promise.race([Promise.all(sessions.map((s) => s.done)).then(() => false), expired]);
    clearTimeout(timer);
    if (finished) for (const { ws } of sessions) ws.terminate();
    this.server.closeAllConnections();
    await stopped;
  }

  private request(request: http.IncomingMessage, response: http.ServerResponse): void {
    if (this.routes.has(pathOf(request.url))) {
      // A plain request to a WebSocket endpoint (§4.2.2: 426 names the protocol to upgrade to).
      response.writeHead(426, { Upgrade: 'websocket', Connection: 'Upgrade', 'Content-Type': 'text/plain; charset=utf-8' });
      response.end('This is a WebSocket endpoint: connect with a WebSocket client.\n');
      return;
    }
    if (this.options.onRequest) {
      this.options.onRequest(request, response);
      return;
    }
    response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
    response.end('Not found\n');
  }

  private refuse(socket: Duplex, status: number, message: string, headers: Record<string, string> = {}): void {
    if (socket.writable) socket.end(buildErrorResponse(status, message, headers));
    else socket.destroy();
  }

  private upgrade(request: http.IncomingMessage, duplex: Duplex, head: Buffer): void {
    const socket = duplex as Socket;
    socket.on('error', ignore); // a reset during the handshake must not crash the process
    const handler = this.routes.get(pathOf(request.url));
    if (this.closing) return this.refuse(socket, 503, 'server shutting down');
    if (handler === undefined) return this.refuse(socket, 404, `no WebSocket endpoint at ${pathOf(request.url)}`);
    let key: string;
    try {
      key = checkClientRequest(request);
    } catch (error) {
      const e = error as HandshakeError;
      return this.refuse(socket, e.status ?? 400, e.message, e.headers);
    }
    const accepted = this.deflateOptions === null ? null : negotiateOffer(request.headers['sec-websocket-extensions'], this.deflateOptions);
    socket.write(buildServerResponse(key, accepted?.response));
    const connection = new Connection({
      side: 'server',
      maxMessageSize: this.options.maxMessageSize,
      deflate: accepted ? new PerMessageDeflate(accepted.params, this.deflateOptions!) : null,
    });
    const ws = new WebSocket(socket, connection, { ...this.options, extensions: accepted?.response, head });
    const where = `WebSocket handler for ${pathOf(request.url)}`;
    const session: Session = { ws, done: this.run(invoke(handler, ws, request), ws, where) };
    this.sessions.add(session);
    void session.done.then(() => this.sessions.delete(session));
  }

  /**
   * Runs a handler for the connection's lifetime: returning closes with
   * 1000, throwing closes with 1011 (§7.4.1) and is reported, never thrown.
   */
  private run(handling: Promise<unknown>, ws: WebSocket, where: string): Promise<void> {
    return handling.then(
      () => ws.close(CloseCode.NORMAL),
      (error: unknown) => {
        (this.options.onError ?? defaultOnError)(error, where);
        ws.fail(new WebSocketError('WS_ERR_HANDLER', CloseCode.INTERNAL_ERROR, 'handler failed'));
        return ws.whenClosed();
      },
    );
  }
}

function ignore(): void {}

/**
 * Starts a handler on the next microtask, throws included. A function of its
 * own so that no closure living as long as the connection shares a scope
 * with (and so keeps alive) the upgrade request, its headers and its stream.
 */
function invoke(handler: ConnectionHandler, ws: WebSocket, request: http.IncomingMessage): Promise<unknown> {
  return Promise.resolve().then(() => handler(ws, request));
}

function defaultOnError(error: unknown, where: string): void {
  console.error(`${where} failed:`, error);
}
