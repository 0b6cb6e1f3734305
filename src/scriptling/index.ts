/// <reference types="node" preserve="true" />
/**
 * scriptling.websocket for Node.js: the seed's names, arguments and value
 * conventions, with Promises where Scriptling blocks.
 */
import { connect as connectEngine, type ConnectOptions } from '../transport/client.js';
import { BINDING_ENGINE_OPTIONS, WebSocketConnection, type ReceivedMessage } from './connection.js';
import { timesToMilliseconds, withBindingDefaults } from './values.js';

export { WebSocketConnection, type ReceivedMessage };
/** The seed's name for the server-side connection object. */
export type WebSocketClient = WebSocketConnection;
export { createRuntime, runtime, HttpRuntime, type Handler, type Runtime, type ServeOptions, type RunningServer, type WebSocketOptions } from './runtime.js';
export { ConnectError } from '../transport/client.js';
/** What `send`, `receive` and `close` reject with once the connection has failed or closed (`code`, `closeCode`). */
export { WebSocketError, type WebSocketErrorCode, type ProtocolErrorCode } from '../protocol/errors.js';
export { broadcast } from './broadcast.js';

/** The engine's options with every time in SECONDS (Scriptling's convention); null waits forever. */
export interface ScriptlingConnectOptions extends Omit<ConnectOptions, 'timeout' | 'closeTimeout' | 'headers'> {
  /** Seconds for DNS, TCP, proxy, TLS and the handshake; default 10; null: no limit. */
  timeout?: number | null;
  /** Seconds to wait for the peer's Close; default 5. */
  closeTimeout?: number | null;
  headers?: Record<string, string>;
}

/**
 * connect(url, timeout=10, headers={}) — or connect(url, { timeout, headers, protocols, proxy, ...tls }).
 * Rejects with an Error whose message starts "websocket connect failed:".
 */
export async function connect(
  url: string,
  timeout: number | null | ScriptlingConnectOptions = 10,
  headers: Record<string, string> = {},
): Promise<WebSocketConnection> {
  const ws = await connectEngine(url, { ...engineConnectOptions(timeout, headers), ...BINDING_ENGINE_OPTIONS });
  return new WebSocketConnection(ws);
}

/**
 * connect()'s arguments as the engine's options (milliseconds, the
 * binding's defaults); a bad time is a TypeError. Shared with the sync API,
 * which opens its connections on another thread.
 */
export function engineConnectOptions(timeout: number | null | ScriptlingConnectOptions, headers: Record<string, string>): ConnectOptions {
  const options: ScriptlingConnectOptions = typeof timeout === 'object' && timeout !== null ? timeout : { timeout, headers };
  let engineOptions: ConnectOptions;
  try {
    engineOptions = timesToMilliseconds(options, 'connect()') as ConnectOptions;
  } catch (error) {
    throw new TypeError(`websocket connect failed: ${(error as Error).message}`);
  }
  if (engineOptions.timeout === 0) throw new TypeError('websocket connect failed: timeout must be a positive number of seconds (or None to wait forever)');
  return withBindingDefaults(engineOptions);
}

/** True if a received message is text (a string). */
export function is_text(message: unknown): message is string {
  return typeof message === 'string';
}

/** True if a received message is binary (a list of byte values). */
export function is_binary(message: unknown): message is number[] | Uint8Array {
  return Array.isArray(message) || message instanceof Uint8Array;
}

export type { ConnectErrorCode } from '../transport/connect-error.js';
