import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type http from 'node:http';
import { WebSocketServer, type ServerOptions } from '../transport/server.js';
import type { AnyHttp2Server } from '../transport/http2-server.js';
import { report } from '../transport/report.js';
import { readPolicy, type RouteOptions } from '../transport/routes.js';
import { BINDING_ENGINE_OPTIONS, WebSocketConnection } from './connection.js';
import { timesToMilliseconds, toBytes, toMilliseconds, toText, withBindingDefaults } from './values.js';
import { ClusterPrimary, DEFAULT_RELAY_HIGH_WATER_MARK, workerCount, type PrimaryOptions } from '../transport/cluster/primary.js';
import { isOurWorker, primaryPubSub, serveForPrimary } from '../transport/cluster/worker.js';
import { redisPubSub, type RedisPubSubOptions } from '../transport/pubsub/redis-pubsub.js';
import type { PubSubFactory } from '../transport/pubsub/pubsub.js';
import { checkByteCount, resolveLimits } from '../protocol/limits.js';

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

export interface ServeOptions extends Omit<ServerOptions, 'onRequest' | 'handshakeTimeout' | 'closeTimeout' | 'pubsub'> {
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
  /**
   * Run this many node:cluster workers on the port (0 or "auto": one per
   * CPU). Each worker runs the calling script again, whose serve() then
   * listens; topics are joined through this process, or through `pubsub`.
   * Dead workers are restarted; close() closes them all.
   */
  workers?: number | 'auto';
  /**
   * With `workers`: bytes of publishes that may wait for one process to
   * read them over IPC (default 16 MiB; Infinity: no limit). A worker (or
   * primary) whose event loop is blocked past it misses publishes until it
   * has caught up, reported through onError, so it cannot grow the others.
   */
  relayHighWaterMark?: number;
  /**
   * Join topics with every process using this Redis (or Valkey):
   * "redis://[user:password@]host:port[/db]", "rediss://…" for TLS, or
   * { url, prefix, maxQueuedBytes, connectTimeout, reconnectDelay: { min, max }, tls }
   * with times in seconds. With `workers`, each worker connects itself.
   */
  pubsub?: string | RedisPubSubOptions;
}

export interface RunningServer {
  port: number;
  host: string;
  close(): Promise<void>;
  /** With `workers`, in the primary: the workers' process ids now. */
  readonly workers?: number[];
}

/** Where a publish goes: a server of this process, or the workers of a primary. */
interface PublishTarget {
  publish(topic: string, data: Uint8Array, binary: boolean): number;
}

/** Every server and primary of this process, for the package's `runtime.publish`. */
const everyTarget = new Set<PublishTarget>();

/**
 * A publish's message as Scriptling gives it: a string or dict is text
 * (a dict as JSON), a list of byte values or bytes is binary.
 */
function toPayload(message: unknown): { data: Uint8Array; binary: boolean } {
  const binary = Array.isArray(message) || message instanceof Uint8Array || message instanceof ArrayBuffer;
  return binary ? { data: toBytes(message), binary } : { data: Buffer.from(toText(message), 'utf8'), binary };
}

/** The binding's pubsub settings take seconds (Scriptling's convention); the engine's take ms. */
function pubsubInMilliseconds(options: RedisPubSubOptions): RedisPubSubOptions {
  const ms = (seconds: number | undefined, what: string) => (seconds === undefined ? undefined : Math.round(toMilliseconds(seconds, 0, `pubsub ${what}`)));
  const { connectTimeout, reconnectDelay } = options;
  return {
    ...options,
    connectTimeout: ms(connectTimeout, 'connectTimeout'),
    reconnectDelay: reconnectDelay === undefined ? undefined : { min: ms(reconnectDelay.min, 'reconnectDelay.min'), max: ms(reconnectDelay.max, 'reconnectDelay.max') },
  };
}

/** Publishes to targets; returns how many of this process's connections the message went to. */
export function publishTo(targets: Iterable<PublishTarget>, topic: string, message: unknown): number {
  const { data, binary } = toPayload(message);
  let sent = 0;
  for (const target of targets) sent += target.publish(topic, data, binary);
  return sent;
}

/** The package's `runtime.publish`: through every server (and primary) of this process. */
export function publishEverywhere(topic: string, message: unknown): number {
  return publishTo(everyTarget, topic, message);
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
  private readonly targets = new Set<PublishTarget>();

  /**
   * runtime.publish(topic, message): sends to every client subscribed to
   * `topic` (client.subscribe) on the servers of this runtime, their
   * workers and every host joined through `pubsub`, each once. Returns at
   * once (as broadcast()) with how many of this process's clients it went to.
   */
  publish(topic: string, message: string | object | number[] | Uint8Array): number {
    return publishTo(this.targets, topic, message);
  }

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
    const { server: existing, libraryPath, workers, pubsub, relayHighWaterMark = DEFAULT_RELAY_HIGH_WATER_MARK, ...rest } = options;
    checkByteCount(relayHighWaterMark, 'relayHighWaterMark', { min: 1 });
    const engineOptions = withBindingDefaults(timesToMilliseconds(rest, 'serve()') as ServerOptions);
    const onError = engineOptions.onError;
    const joined: PubSubFactory | undefined = pubsub !== undefined
      ? redisPubSub(typeof pubsub === 'string' ? { url: pubsub, onError } : { onError, ...pubsubInMilliseconds(pubsub) })
      : isOurWorker() ? primaryPubSub({ relayHighWaterMark, onError }) : undefined;
    if (workers !== undefined && !isOurWorker()) {
      if (existing !== undefined) throw new TypeError('serve(): workers listen on their own port; they cannot attach to an existing server');
      workerCount(workers);
      return this.servePrimary({ workers, topics: pubsub !== undefined ? 'external' : 'primary', closeTimeout: resolveLimits(engineOptions).closeTimeout, relayHighWaterMark, onError });
    }
    const server = new WebSocketServer({ ...engineOptions, ...BINDING_ENGINE_OPTIONS, pubsub: joined, onRequest: (req, res) => this.page(req, res, onError) });
    for (const [path, { handler, options: routeOptions }] of this.sockets) {
      const fn = typeof handler === 'string' ? await this.resolveHandler(handler, resolve(libraryPath ?? process.cwd())) : handler;
      server.route(path, (ws) => fn(new WebSocketConnection(ws)), routeOptions);
    }
    const target: PublishTarget = { publish: (topic, data, binary) => server.publish(topic, data, { binary }) };
    const close = async () => {
      this.targets.delete(target);
      everyTarget.delete(target);
      await server.close();
    };
    let address: { port: number; host: string };
    if (existing !== undefined) {
      server.attach(existing);
      const bound = existing.address();
      address = bound !== null && typeof bound === 'object' ? { port: bound.port, host: bound.address } : { port: 0, host: '' };
    } else {
      try {
        address = await server.listen(options.port ?? 8080, options.host ?? '127.0.0.1');
      } catch (error) {
        await server.close();
        throw error;
      }
    }
    this.targets.add(target);
    everyTarget.add(target);
    if (isOurWorker()) serveForPrimary({ publish: (topic, data, { binary }) => server.publish(topic, data, { binary }), close });
    return { ...address, close };
  }

  private async servePrimary(options: PrimaryOptions): Promise<RunningServer> {
    const primary = await ClusterPrimary.start(options);
    this.targets.add(primary);
    everyTarget.add(primary);
    return {
      port: primary.port,
      host: primary.host,
      get workers() {
        return primary.pids;
      },
      close: async () => {
        this.targets.delete(primary);
        everyTarget.delete(primary);
        await primary.close();
      },
    };
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
  /** runtime.publish(topic, message): see HttpRuntime.publish. */
  publish(topic: string, message: string | object | number[] | Uint8Array): number;
}

/** A `runtime` object of a Scriptling server: `runtime.http.websocket(path, handler)`, `runtime.publish(topic, message)`. */
export function createRuntime(): Runtime {
  const http = new HttpRuntime();
  return { http, publish: (topic, message) => http.publish(topic, message) };
}

/**
 * This process's runtime, Scriptling's `import scriptling.runtime as
 * runtime`: what handler libraries import. Its `publish` goes through every
 * server of the process, whichever runtime serves it.
 */
export const runtime: Runtime = { http: new HttpRuntime(), publish: publishEverywhere };
