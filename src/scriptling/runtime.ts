import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type http from 'node:http';
import { WebSocketServer, type ServerOptions } from '../transport/server.js';
import type { AnyHttp2Server } from '../transport/http2-server.js';
import { report } from '../transport/report.js';
import { readPolicy, type RouteOptions } from '../transport/routes.js';
import { WebSocketConnection } from './connection.js';
import { timesToMilliseconds, withBindingDefaults } from './values.js';

/** A handler function, or its name as "library.function". */
export type Handler = ((client: WebSocketConnection) => unknown) | string;

export type PageResult = string | { status?: number; headers?: Record<string, string>; body?: string | Buffer };
export type PageHandler = (request: http.IncomingMessage) => PageResult | Promise<PageResult>;

/**
 * runtime.http.websocket's options: `protocols` (in order of preference),
 * `origins`, and `authorize(request)`, which gets the request dict
 * (method, path, query, headers, remote_addr) and answers true/None
 * (accept), { headers } (accept with them), false (403) or
 * { status, headers, body } (refuse with that).
 */
export type WebSocketOptions = RouteOptions;

export interface ServeOptions extends Omit<ServerOptions, 'onRequest' | 'handshakeTimeout' | 'closeTimeout'> {
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Where "library.function" handlers are loaded from (library.mjs or library.js). Default: the working directory. */
  libraryPath?: string;
  /** Seconds from TCP accept to the request head (TLS included), then for authorize. Default 10; null: no limit. */
  handshakeTimeout?: number | null;
  /** Seconds to wait for the peer during the closing handshake. Default 5. */
  closeTimeout?: number | null;
  /**
   * Attach to this existing node:http/https server instead of listening:
   * it hands over its WebSocket upgrades (unknown paths get 404) and keeps
   * its own pages (runtime.http.get pages are not served then). A
   * node:http2 server also hands over its WebSocket streams (RFC 8441).
   * `close()` detaches and closes our connections only.
   */
  server?: http.Server | AnyHttp2Server;
}

export interface RunningServer {
  port: number;
  host: string;
  close(): Promise<void>;
}

/**
 * `runtime.http`: register WebSocket endpoints (and plain pages), then
 * serve them. Libraries named by string handlers are imported once per
 * runtime, so their module state (the seed's `_clients` list) is shared by
 * every connection.
 */
export class HttpRuntime {
  private readonly sockets = new Map<string, { handler: Handler; options: WebSocketOptions }>();
  private readonly pages = new Map<string, PageHandler>();
  private readonly libraries = new Map<string, Promise<Record<string, unknown>>>();

  /** runtime.http.websocket(path, handler, options): a path ending in "/*" takes every path under it. */
  websocket(path: string, handler: Handler, options: WebSocketOptions = {}): void {
    if (typeof path !== 'string' || !path.startsWith('/')) throw new TypeError(`websocket path must start with "/": ${JSON.stringify(path)}`);
    if (typeof handler === 'string') {
      if (!/^[\w$-]+(?:\.[\w$-]+)*\.[\w$]+$/.test(handler)) throw new TypeError(`handler ${JSON.stringify(handler)} must be "library.function"`);
    } else if (typeof handler !== 'function') {
      throw new TypeError('handler must be a function or a "library.function" name');
    }
    readPolicy(options);
    this.sockets.set(path, { handler, options });
  }

  /** runtime.http.get(path, handler): a plain page; the handler returns the body or { status, headers, body }. */
  get(path: string, handler: PageHandler): void {
    this.pages.set(path, handler);
  }

  /** Serves the registered endpoints; time options are in seconds (Scriptling's convention). */
  async serve(options: ServeOptions = {}): Promise<RunningServer> {
    const { server: existing, libraryPath, ...rest } = options;
    const engineOptions = withBindingDefaults(timesToMilliseconds(rest, 'serve()') as ServerOptions);
    const onError = engineOptions.onError;
    const server = new WebSocketServer({ ...engineOptions, onRequest: (req, res) => this.page(req, res, onError) });
    for (const [path, { handler, options: routeOptions }] of this.sockets) {
      const fn = typeof handler === 'string' ? await this.resolveHandler(handler, resolve(libraryPath ?? process.cwd())) : handler;
      server.route(path, (ws) => fn(new WebSocketConnection(ws)), routeOptions);
    }
    if (existing !== undefined) {
      server.attach(existing);
      const address = existing.address();
      const { port, address: host } = address !== null && typeof address === 'object' ? address : { port: 0, address: '' };
      return { port, host, close: () => server.close() };
    }
    const { port, host } = await server.listen(options.port ?? 8080, options.host ?? '127.0.0.1');
    return { port, host, close: () => server.close() };
  }

  private async resolveHandler(name: string, libraryPath: string): Promise<(client: WebSocketConnection) => unknown> {
    const dot = name.lastIndexOf('.');
    const library = name.slice(0, dot);
    const fnName = name.slice(dot + 1);
    let loading = this.libraries.get(library);
    if (loading === undefined) {
      const base = join(libraryPath, ...library.split('.'));
      const file = ['.mjs', '.js'].map((ext) => base + ext).find((f) => existsSync(f));
      if (file === undefined) throw new Error(`handler "${name}": no ${library}.mjs or ${library}.js in ${libraryPath}`);
      loading = import(pathToFileURL(file).href) as Promise<Record<string, unknown>>;
      this.libraries.set(library, loading);
    }
    const fn = (await loading)[fnName];
    if (typeof fn !== 'function') throw new Error(`handler "${name}": ${library} has no function ${fnName}`);
    return fn as (client: WebSocketConnection) => unknown;
  }

  private page(request: http.IncomingMessage, response: http.ServerResponse, onError: ServerOptions['onError']): void {
    const path = (request.url ?? '/').split('?')[0];
    const handler = this.pages.get(path);
    if (handler === undefined) {
      response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      response.end('Not found\n');
      return;
    }
    Promise.resolve()
      .then(() => handler(request))
      .then((result) => {
        const page = typeof result === 'string' ? { body: result } : result;
        response.writeHead(page.status ?? 200, { 'Content-Type': 'text/html; charset=utf-8', ...page.headers });
        response.end(page.body ?? '');
      })
      .catch((error: unknown) => {
        report(onError, error, `page ${path}`);
        if (!response.headersSent) response.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
        response.end('Internal server error\n');
      });
  }
}

export interface Runtime {
  http: HttpRuntime;
}

/** The `runtime` object of a Scriptling server: `runtime.http.websocket(path, handler)`. */
export function createRuntime(): Runtime {
  return { http: new HttpRuntime() };
}
