/**
 * Scriptling's value conventions (the seed document): a dict is sent as
 * JSON text, binary data is a list of byte values, seconds are numbers and
 * None is null.
 */

/**
 * Encodes what `send()` accepts: a string as is; a dict (plain object) or
 * list as JSON. Other objects (a Map, a Set, a class instance) would encode
 * as `{}` or lose their meaning silently, so they are refused, at any depth;
 * an object with its own `toJSON` says how it encodes and is accepted.
 */
export function toText(message: unknown): string {
  if (typeof message === 'string') return message;
  if (message !== null && typeof message === 'object' && !ArrayBuffer.isView(message) && !(message instanceof ArrayBuffer)) {
    const text = JSON.stringify(message, onlyPlainValues);
    if (text === undefined) throw new TypeError(`send() cannot encode ${describe(message)} as JSON: its toJSON() returned nothing`);
    return text;
  }
  throw new TypeError(`send() takes a string or a dict (sent as JSON), not ${describe(message)}; use send_binary() for bytes`);
}

/** JSON.stringify replacer: dicts, lists and JSON values only (it sees values after their toJSON). */
function onlyPlainValues(this: unknown, key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const prototype = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) {
      const where = key === '' ? '' : ` (at key ${JSON.stringify(key)})`;
      throw new TypeError(`send() encodes dicts and lists as JSON, not ${describe(value)}${where}`);
    }
  }
  return value;
}

/** Checks what `send_binary()` accepts: a list of integers 0–255, or bytes. */
export function toBytes(data: unknown): Uint8Array {
  if (Array.isArray(data)) {
    const bytes = Buffer.allocUnsafe(data.length);
    for (let i = 0; i < data.length; i++) {
      const value = data[i];
      // One test for "an integer from 0 to 255": any other number, or a non-number, changes under & 0xff.
      if ((value & 0xff) !== value) {
        throw new TypeError(`send_binary() takes byte values 0–255; item ${i} is ${describe(value)}`);
      }
      bytes[i] = value;
    }
    return bytes;
  }
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  throw new TypeError(`send_binary() takes a list of byte values (or a Uint8Array), not ${describe(data)}`);
}

/**
 * A binary message as Scriptling's list of byte values. Made only when
 * `receive()` hands the message out (the queue keeps bytes), since the list
 * costs 8 bytes per byte (one tagged small integer per element): a plain
 * indexed loop into a preallocated array, the fastest form measured.
 */
export function toList(bytes: Uint8Array): number[] {
  const length = bytes.length;
  const list = new Array<number>(length);
  for (let i = 0; i < length; i++) list[i] = bytes[i];
  return list;
}

/**
 * A timeout in seconds as milliseconds: `null`, `undefined`-as-"forever"
 * and Infinity wait forever, 0 polls. `fallback` is the seed's default.
 */
export function toMilliseconds(timeout: unknown, fallback: number, what: string): number {
  if (timeout === undefined) return fallback * 1000;
  if (timeout === null || timeout === Infinity) return Infinity;
  if (typeof timeout !== 'number' || Number.isNaN(timeout) || timeout < 0) {
    throw new TypeError(`${what} must be a number of seconds ≥ 0 (or null to wait forever), not ${describe(timeout)}`);
  }
  return timeout * 1000;
}

function describe(value: unknown): string {
  if (value === null) return 'None';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return JSON.stringify(value.length > 20 ? `${value.slice(0, 20)}…` : value);
  if (typeof value === 'object') return `a ${value.constructor?.name ?? 'object'}`;
  return `${typeof value} ${String(value)}`;
}

/** The binding's time options: seconds here (Scriptling's convention), milliseconds in the engine. */
const TIME_OPTIONS = ['timeout', 'closeTimeout', 'handshakeTimeout', 'pingInterval', 'pingTimeout'] as const;

/**
 * A copy of binding options with every time option converted from seconds
 * to milliseconds (null → Infinity, "forever"); anything else is passed on.
 */
export function timesToMilliseconds<T extends object>(options: T, what: string): T {
  const result = { ...options } as Record<string, unknown>;
  for (const name of TIME_OPTIONS) {
    if (result[name] !== undefined) result[name] = toMilliseconds(result[name], 0, `${what} ${name}`);
  }
  return result as T;
}

/**
 * The binding's default `maxMessageSize`: 1 MiB, as python-websockets. A
 * binary message reaches a script as a list, 8 bytes per byte, so the
 * engine's 64 MiB would let one peer's 64 KiB compressed message cost over
 * half a GiB; at 1 MiB one message costs ~12 MiB and ~90 ms of event loop
 * (README, "What a peer's message can cost", measured by bench/message-cost.mjs).
 */
export const BINDING_MAX_MESSAGE_SIZE = 1024 * 1024;

/** Engine options with the binding's own defaults filled in where the caller gave none. */
export function withBindingDefaults<T extends { maxMessageSize?: number }>(options: T): T {
  return options.maxMessageSize === undefined ? { ...options, maxMessageSize: BINDING_MAX_MESSAGE_SIZE } : options;
}
