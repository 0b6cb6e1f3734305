/**
 * Numeric options are checked when they are given, with a RangeError naming
 * the option, so a typo fails at construction rather than on some later
 * message (NaN would silently switch a limit off; Infinity reaching zlib
 * makes it refuse every message).
 */

/** A byte count: an integer ≥ `min`, or Infinity for "unlimited" when `unlimited` allows it. */
export function checkByteCount(value: unknown, name: string, options: { min?: number; unlimited?: boolean } = {}): void {
  if (value === undefined) return;
  const min = options.min ?? 0;
  if (value === Infinity && options.unlimited !== false) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    const unlimited = options.unlimited !== false ? ' (or Infinity for no limit)' : '';
    throw new RangeError(`${name} must be an integer ≥ ${min}${unlimited}, not ${String(value)}`);
  }
}

/** A duration in milliseconds: a number ≥ 0, or Infinity for "never". */
export function checkDuration(value: unknown, name: string): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new RangeError(`${name} must be a number of milliseconds ≥ 0 (or Infinity), not ${String(value)}`);
  }
}

/** An integer setting within a closed range, such as a zlib level. */
export function checkIntegerRange(value: unknown, name: string, min: number, max: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, not ${String(value)}`);
  }
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };

/**
 * A size as a person writes it on a command line, in bytes with an optional
 * binary unit: "65536", "64k", "16MiB", "1.5m". Null when it is not one (or
 * not a positive whole number of bytes): the caller names its flag.
 */
export function parseByteSize(text: string): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = match ? SIZE_UNITS[match[2].toLowerCase()] : undefined;
  const bytes = match && unit !== undefined ? Math.floor(Number(match[1]) * unit) : NaN;
  return bytes > 0 && Number.isSafeInteger(bytes) ? bytes : null;
}

/** The limits an open connection takes, as options give them: bytes or milliseconds, each optional. */
export interface LimitOptions {
  maxMessageSize?: number;
  closeTimeout?: number;
  maxQueuedBytes?: number;
  sendHighWaterMark?: number;
  /** 0 or Infinity: no keepalive Pings. */
  pingInterval?: number;
  /** 0 or Infinity: wait for the Pong forever. */
  pingTimeout?: number;
}

/**
 * The limits resolved once, at an entry (engine connect, server, binding,
 * sync worker): every field present, bytes or milliseconds, and "off" is
 * Infinity (never 0, which is a real value for some of them). What runs a
 * connection takes this record and decides nothing again.
 */
export interface ResolvedLimits {
  maxMessageSize: number;
  closeTimeout: number;
  maxQueuedBytes: number;
  sendHighWaterMark: number;
  /** Keepalive in ms (protocol/keepalive.ts): Infinity turns a part off. */
  keepalive: { interval: number; timeout: number };
}

/** The engine's defaults; an entry with other needs (the sync API's smaller receive window) passes its own. */
export const LIMIT_DEFAULTS: Readonly<Required<LimitOptions>> = {
  maxMessageSize: 64 * 1024 * 1024,
  closeTimeout: 5000,
  maxQueuedBytes: 16 * 1024 * 1024,
  sendHighWaterMark: 1024 * 1024,
  pingInterval: 20_000,
  pingTimeout: 20_000,
};

/**
 * Checks every limit given (a RangeError naming the option) and fills in
 * the rest from `defaults`, then the engine's: the one place options turn
 * into numbers.
 */
export function resolveLimits(options: LimitOptions, defaults: LimitOptions = {}): ResolvedLimits {
  checkByteCount(options.maxMessageSize, 'maxMessageSize');
  checkByteCount(options.maxQueuedBytes, 'maxQueuedBytes');
  checkByteCount(options.sendHighWaterMark, 'sendHighWaterMark');
  checkDuration(options.closeTimeout, 'closeTimeout');
  checkDuration(options.pingInterval, 'pingInterval');
  checkDuration(options.pingTimeout, 'pingTimeout');
  const pick = <K extends keyof LimitOptions>(key: K): number => options[key] ?? defaults[key] ?? LIMIT_DEFAULTS[key];
  const interval = pick('pingInterval');
  const timeout = pick('pingTimeout');
  return {
    maxMessageSize: pick('maxMessageSize'),
    closeTimeout: pick('closeTimeout'),
    maxQueuedBytes: pick('maxQueuedBytes'),
    sendHighWaterMark: pick('sendHighWaterMark'),
    // The options say "off" with 0 as well as Infinity; from here on it is Infinity only.
    keepalive: { interval: interval > 0 ? interval : Infinity, timeout: timeout > 0 ? timeout : Infinity },
  };
}
