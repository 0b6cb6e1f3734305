/**
 * What crosses between the calling thread and the engine worker. Requests
 * go one way on a MessagePort; events come back on another, each followed by
 * a bump of the shared sequence word the caller waits on (`Atomics.wait`).
 */
import type { MessagePort } from 'node:worker_threads';
import { ConnectError, type ConnectErrorCode } from '../transport/client.js';
import type { RefusalDetails } from '../transport/connect-error.js';
import { WebSocketError, type WebSocketErrorCode } from '../protocol/errors.js';
import type { DeflateOptions, DeflateParams } from '../protocol/deflate.js';
import type { LimitOptions, ResolvedLimits } from '../protocol/limits.js';
import { messageCost as engineCost } from '../protocol/message-cost.js';
import { THREAD_ROLE, type ThreadRole } from './thread-entries.js';

/** Int32 slots of the SharedArrayBuffer both threads see. */
export const SEQUENCE = 0;
export const STATUS = 1;
export const STATE_BYTES = 2 * Int32Array.BYTES_PER_ELEMENT;

/** Values of the STATUS slot, written only by the supervisor thread (never by the engine it watches). */
export const enum Status {
  ALIVE = 0,
  DEAD = 1,
}

/**
 * Flow control, the receive window's default (the connect option
 * `maxQueuedBytes` sets it): reading stops while this many bytes of a
 * connection's messages (and of bytes read and not yet parsed) wait for the
 * caller to take them, so a caller that does not read makes TCP push back
 * on the peer (as the engine's own queue does).
 */
export const RECEIVE_WINDOW = 8 * 1024 * 1024;
/** The send window's default (the connect option `sendHighWaterMark`): send() blocks while this many bytes are not yet handed to the kernel. */
export const SEND_WINDOW = 1024 * 1024;

/** What the sync API's connections default to where the engine's defaults do not suit them (resolveLimits takes it). */
export const SYNC_LIMIT_DEFAULTS: LimitOptions = { maxQueuedBytes: RECEIVE_WINDOW, sendHighWaterMark: SEND_WINDOW };

/** A sync connection's flow-control windows, in bytes: its resolved `maxQueuedBytes` and `sendHighWaterMark`. */
export interface Windows {
  receive: number;
  send: number;
}

export function windowsOf(limits: ResolvedLimits): Windows {
  return { receive: limits.maxQueuedBytes, send: limits.sendHighWaterMark };
}
/**
 * A binary message's cost besides its length: it has an ArrayBuffer of its
 * own on the calling thread (cloned or transferred from the worker), whose
 * objects, backing store and port record come to about this much (a flood of
 * empty binary messages through the worker grew the process by ~800 bytes
 * each when they counted 64).
 */
export const BINARY_OVERHEAD = 1024;

/** A message's cost against a sync window: the engine's (protocol/message-cost.ts), or BINARY_OVERHEAD for binary. */
export const messageCost = (data: string | Uint8Array): number => (typeof data === 'string' ? engineCost(data) : data.length + BINARY_OVERHEAD);

/**
 * The bytes in an ArrayBuffer of their own, to be transferred rather than
 * cloned. A view of a larger buffer (a socket chunk, Buffer's pool) is
 * copied natively first: transferring it would detach memory still in use.
 * Bytes that are their whole buffer are given away as they are: a message
 * the engine delivers belongs to its receiver (the async binding hands it
 * to user code, which may keep or change it), and the engine's reader drops
 * a chunk as soon as it is consumed.
 */
export function ownBytes(view: Uint8Array): Uint8Array {
  // An empty message may be the engine's one shared empty buffer: transferring it would detach it for every later
  // empty message (and twice in one post is a DataCloneError that kills the worker).
  if (view.byteLength === 0) return new Uint8Array(0);
  return view.byteOffset === 0 && view.byteLength === view.buffer.byteLength ? view : new Uint8Array(view);
}

/**
 * Where a connection's socket is read and written. 'caller': a plain TCP
 * connection is handed to the calling thread after the handshake, which
 * runs the protocol itself with blocking-free reads and writes on the
 * socket's file descriptor; the worker only waits for data when the caller
 * would otherwise spin, writes what the kernel would not take at once, and
 * answers Pings while the caller is away. 'worker': the worker runs the
 * async engine and the caller gets its messages (always so for TLS).
 */
export type SocketThread = 'caller' | 'worker';

/** What a connection handed to the calling thread needs to run its protocol there. */
export interface Handover {
  fd: number;
  /** Bytes the worker read after the handshake's head: the first frames. */
  rest: Uint8Array;
  /** The negotiated permessage-deflate parameters and the settings offered (null: off). */
  deflate: { params: DeflateParams; options: DeflateOptions } | null;
  /** The connection's limits, resolved once by the worker from the connect options. */
  limits: ResolvedLimits;
}

export type Request =
  | { op: 'connect'; id: number; url: unknown; options: object; socketThread: SocketThread; custody: SharedArrayBuffer }
  | { op: 'send'; conn: number; data: string | Uint8Array }
  | { op: 'consumed'; conn: number; bytes: number }
  | { op: 'close'; id: number; conn: number; code: number | undefined; reason: string | undefined }
  /** Close without an answer: a connection the caller gave up on. */
  | { op: 'drop'; conn: number }
  /** Answers 'done' once every send so far has been handed to the kernel (the caller's thread is exiting). */
  | { op: 'flush'; id: number }
  // For connections whose socket the caller runs:
  /** Read for the caller until the next chunk arrives (the caller waits for it). */
  | { op: 'watch'; conn: number }
  /** Stop reading for the caller; answered by 'unwatched'. */
  | { op: 'unwatch'; conn: number }
  /** Give custody back to the caller; answered by 'yielded'. */
  | { op: 'yield'; conn: number }
  /** Write what the kernel did not take at once, after anything written before; answered by 'written'. */
  | { op: 'write'; conn: number; data: Uint8Array[] }
  /** The protocol is done: wait up to `waitMs` for the server to end the TCP connection (RFC 6455 §7.1.1), then close it; answered by 'released'. */
  | { op: 'release'; conn: number; waitMs: number };

export type Event =
  /** The engine has loaded and listens for requests. */
  | { type: 'ready' }
  | { type: 'connected'; id: number; remoteAddress: string; protocol: string; windows: Windows; handover: Handover | null }
  | { type: 'failed'; id: number; error: SerializedError }
  | { type: 'done'; id: number }
  /** Messages in the order received: text as strings, binary as bytes. */
  | { type: 'messages'; conn: number; data: Array<string | Uint8Array> }
  /** No more messages will come for this connection. */
  | { type: 'end'; conn: number }
  /** The TCP connection is closed: nothing more can be sent. */
  | { type: 'closed'; conn: number }
  | { type: 'sent'; conn: number; bytes: number }
  | { type: 'sendFailed'; conn: number; error: SerializedError }
  /** Bytes the worker read for the caller, in order; `end`: the stream ended after them. `watchEnded`: a watch ended with them. */
  | { type: 'read'; conn: number; chunks: Uint8Array[]; end: boolean; watchEnded: boolean }
  | { type: 'unwatched'; conn: number }
  /** `writing`: Pongs of the worker's are not yet out, so the caller's writes go through it until 'written' says it is idle. */
  | { type: 'yielded'; conn: number; writing: boolean }
  /** The socket handed to the caller is closed. */
  | { type: 'released'; conn: number }
  /** A write of the worker's is over: the first `through` write requests are done (`bytes` by this one); `idle`: none is pending; `failed`: it did not reach the kernel. */
  | { type: 'written'; conn: number; through: number; bytes: number; idle: boolean; failed: boolean };

/** What the supervisor thread reports when the engine worker ends. */
export interface Fate {
  message: string;
  code: string | undefined;
}

export interface EngineData {
  /** Which thread this is (thread-entries.ts): the one-file build starts both from one file. */
  [THREAD_ROLE]: ThreadRole;
  state: SharedArrayBuffer;
  requests: MessagePort;
  events: MessagePort;
}

export interface SupervisorData extends EngineData {
  engineFile: string;
  fate: MessagePort;
  resourceLimits: object | undefined;
}

/**
 * Errors lose their class and extra fields in a structured clone, so they
 * cross as data and are rebuilt on the calling thread as the same classes
 * the async binding throws, with the same message and `code`.
 */
export interface SerializedError {
  name: string;
  message: string;
  code: string | undefined;
  closeCode: number | undefined;
  /** A ConnectError's refusal: the status, headers and body of the answer that was not 101. */
  refusal: RefusalDetails | undefined;
}

export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error), code: undefined, closeCode: undefined, refusal: undefined };
  const { code, closeCode } = error as { code?: unknown; closeCode?: unknown };
  const refused = error instanceof ConnectError && error.status !== undefined;
  return {
    name: error.name,
    message: error.message,
    code: typeof code === 'string' ? code : undefined,
    closeCode: typeof closeCode === 'number' ? closeCode : undefined,
    refusal: refused ? { status: error.status!, headers: error.headers ?? {}, body: error.body ?? Buffer.alloc(0) } : undefined,
  };
}

const CONNECT_PREFIX = 'websocket connect failed: ';
const PLAIN_ERRORS: Record<string, new (message: string) => Error> = { TypeError, RangeError, SyntaxError };

export function reviveError(error: SerializedError): Error {
  if (error.name === 'ConnectError' && error.message.startsWith(CONNECT_PREFIX)) {
    const refusal = error.refusal && { ...error.refusal, body: Buffer.from(error.refusal.body) }; // the clone made it a Uint8Array
    return new ConnectError(error.message.slice(CONNECT_PREFIX.length), (error.code ?? 'ERR_CONNECT') as ConnectErrorCode, { refusal });
  }
  if (error.name === 'WebSocketError' && error.code !== undefined && error.closeCode !== undefined) {
    return new WebSocketError(error.code as WebSocketErrorCode, error.closeCode, error.message); // it was one when serialized
  }
  const revived = new (PLAIN_ERRORS[error.name] ?? Error)(error.message);
  if (!(error.name in PLAIN_ERRORS)) revived.name = error.name;
  if (error.code !== undefined) Object.assign(revived, { code: error.code });
  return revived;
}
