/**
 * What crosses between the calling thread and the engine worker. Requests
 * go one way on a MessagePort; events come back on another, each followed by
 * a bump of the shared sequence word the caller waits on (`Atomics.wait`).
 */
import type { MessagePort } from 'node:worker_threads';
import { ConnectError, type ConnectErrorCode } from '../transport/client.js';
import type { RefusalDetails } from '../transport/connect-error.js';
import { WebSocketError } from '../protocol/errors.js';

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
 * Flow control: the worker stops reading a connection while this many bytes
 * of its messages wait for the caller to take them, so a caller that does
 * not read makes TCP push back on the peer (as the engine's own queue does).
 */
export const RECEIVE_WINDOW = 8 * 1024 * 1024;
/** The caller's send() blocks while this many bytes are not yet handed to the socket by the worker. */
export const SEND_WINDOW = 1024 * 1024;
/** What a message costs against a window besides its length, so floods of empty messages are bounded too. */
export const MESSAGE_OVERHEAD = 64;

export const messageCost = (data: string | Uint8Array): number => data.length + MESSAGE_OVERHEAD;

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
  return view.byteOffset === 0 && view.byteLength === view.buffer.byteLength ? view : new Uint8Array(view);
}

export type Request =
  | { op: 'connect'; id: number; url: unknown; options: object }
  | { op: 'send'; conn: number; data: string | Uint8Array }
  | { op: 'consumed'; conn: number; bytes: number }
  | { op: 'close'; id: number; conn: number; code: number | undefined; reason: string | undefined }
  /** Close without an answer: a connection the caller gave up on. */
  | { op: 'drop'; conn: number }
  /** Answers 'done' once every send so far has been handed to the kernel (the caller's thread is exiting). */
  | { op: 'flush'; id: number };

export type Event =
  /** The engine has loaded and listens for requests. */
  | { type: 'ready' }
  | { type: 'connected'; id: number; remoteAddress: string; protocol: string }
  | { type: 'failed'; id: number; error: SerializedError }
  | { type: 'done'; id: number }
  /** Messages in the order received: text as strings, binary as bytes. */
  | { type: 'messages'; conn: number; data: Array<string | Uint8Array> }
  /** No more messages will come for this connection. */
  | { type: 'end'; conn: number }
  /** The TCP connection is closed: nothing more can be sent. */
  | { type: 'closed'; conn: number }
  | { type: 'sent'; conn: number; bytes: number }
  | { type: 'sendFailed'; conn: number; error: SerializedError };

/** What the supervisor thread reports when the engine worker ends. */
export interface Fate {
  message: string;
  code: string | undefined;
}

export interface EngineData {
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
    return new WebSocketError(error.code, error.closeCode, error.message);
  }
  const revived = new (PLAIN_ERRORS[error.name] ?? Error)(error.message);
  if (!(error.name in PLAIN_ERRORS)) revived.name = error.name;
  if (error.code !== undefined) Object.assign(revived, { code: error.code });
  return revived;
}
