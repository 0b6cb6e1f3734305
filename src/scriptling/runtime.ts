import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type http from 'node:http';
import { WebSocketServer, type ServerOptions } from '../transport/server.js';
import { WebSocketConnection } from './connection.js';
import { withBindingDefaults } from './values.js';

/** A handler function, or its name as "library.function". */
export type Handler = ((client: WebSocketConnection) => unknown) | string;

export type PageResult = string | { status?: number; headers?: Record<string, string>; body?: string | Buffer };
export type PageHandler = (request: http.IncomingMessage) => PageResult | Promise<PageResult>;

export interface ServeOptions extends Omit<ServerOptions, 'onRequest'> {
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Where "library.function" handlers are loaded from (library.mjs or library.js). Default: the working directory. */
  libraryPath?: string;
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
  private readonly sockets = new Map<string, Handler>();
  private readonly pages = new Map<string, PageHandler>();
  private readonly libraries = new Map<string, Promise<Record<string, unknown>>>();

  /** runtime.http.websocket(path, handler) */
  websocket(path: string, handler: Handler): void {
    if (typeof path !== 'string' || !path.startsWith('/')) throw new TypeError(`websocket path must start with "/": ${JSON.stringify(path)}`);
    if (typeof handler === 'string') {
      if (!/^[\w$-]+(?:\.[\w$-]+)*\.[\w$]+$/.test(handler)) throw new TypeError(`handler ${JSON.stringify(handler)} must be "library.function"`);
    } else if (typeof handler !== 'function') {
      throw new TypeError('handler must be a function or a "library.function" name');
    }
    this.sockets.set(path, handler);
  }

  /** runtime.http.get(path, handler): a plain page; the handler returns the body or { status, headers, body }. */
  get(path: string, handler: PageHandler): void {
    this.pages.set(path, handler);
  }

  async serve(options: ServeOptions = {}): Promise<RunningServer> {
    const libraryPath = resolve(options.libraryPath ?? process.cwd());
    const server = new WebSocketServer(withBindingDefaults<ServerOptions>({ ...options, onRequest: (req, res) => this.page(req, res) }));
    for (const [path, handler] of this.sockets) {
      const fn = typeof handler === 'string' ? await this.resolveHandler(handler, libraryPath) : handler;
      server.route(path, (ws) => fn(new WebSocketConnection(ws)));
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

  private page(request: http.IncomingMessage, response: http.ServerResponse): void {
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
      .catch((error) => {
        console.error(`page ${path} failed:`, error);
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
