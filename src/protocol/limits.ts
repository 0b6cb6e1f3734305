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
