import type http from 'node:http';
import { checkProtocols } from '../protocol/subprotocols.js';
import type { RequestInfo } from '../protocol/handshake.js';
import type { RoutePolicy, Verdict } from '../protocol/server-handshake.js';
import type { WebSocket } from './websocket.js';
import type { Http2ConnectRequest } from './http2-server.js';

/** The opening request: node:http's for an HTTP/1.1 upgrade, the CONNECT stream's for HTTP/2 (RFC 8441). */
export type UpgradeRequest = http.IncomingMessage | Http2ConnectRequest;

export type ConnectionHandler = (ws: WebSocket, request: UpgradeRequest) => unknown;

/**
 * Runs before the 101 and decides: true/undefined accept, `{ headers }`
 * accepts with extra response headers, false refuses with 403,
 * `{ status, headers, body }` refuses with that answer. May be async.
 */
export type Authorize = (request: RequestInfo) => Verdict | Promise<Verdict>;

export interface RouteOptions {
  /** Subprotocols this route speaks, in order of preference (RFC 6455 §1.9). */
  protocols?: string | string[];
  /** Allowed Origin values (exact strings or patterns); any other, or none, gets 403. */
  origins?: Array<string | RegExp>;
  authorize?: Authorize;
}

export interface Route {
  handler: ConnectionHandler;
  policy: RoutePolicy;
  authorize: Authorize | null;
}

/** Exact paths, and prefixes written "/path/*" (the longest matching prefix wins). */
export class Routes {
  private readonly exact = new Map<string, Route>();
  /** Kept longest first, so the most specific prefix is found first. */
  private prefixes: Array<readonly [prefix: string, route: Route]> = [];

  add(path: string, handler: ConnectionHandler, options: RouteOptions = {}): void {
    if (typeof path !== 'string' || !path.startsWith('/')) throw new TypeError(`WebSocket path must start with "/": ${JSON.stringify(path)}`);
    if (typeof handler !== 'function') throw new TypeError('handler must be a function');
    const route: Route = { handler, policy: readPolicy(options), authorize: options.authorize ?? null };
    if (path.endsWith('/*')) {
      const prefix = path.slice(0, -1);
      const others = this.prefixes.filter(([p]) => p !== prefix);
      this.prefixes = [...others, [prefix, route] as const].sort((a, b) => b[0].length - a[0].length);
    } else {
      this.exact.set(path, route);
    }
  }

  find(path: string): Route | undefined {
    return this.exact.get(path) ?? this.prefixes.find(([prefix]) => path.startsWith(prefix))?.[1];
  }
}

/** Checks route options (for callers that take them before the route exists); returns the handshake's part. */
export function readPolicy(options: RouteOptions): RoutePolicy {
  if (options === null || typeof options !== 'object') throw new TypeError('route options must be an object');
  const { origins, authorize } = options;
  if (authorize !== undefined && typeof authorize !== 'function') throw new TypeError('authorize must be a function');
  if (origins !== undefined && !(Array.isArray(origins) && origins.every((o) => typeof o === 'string' || o instanceof RegExp))) {
    throw new TypeError('origins must be a list of strings and regular expressions');
  }
  return { protocols: checkProtocols(options.protocols, 'protocols'), origins };
}
