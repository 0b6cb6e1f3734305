/** Turning flag text into option values; every mistake is a UsageError naming the flag. */
import { readFileSync } from 'node:fs';
import { UsageError, stringFlag, type Values } from './args.js';
import { parseByteSize } from '../protocol/limits.js';

export function parsePort(text: string, flag = '--port'): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`${flag} must be a port number from 0 to 65535, not ${JSON.stringify(text)}`);
  return n;
}

/** Seconds as the user writes them ("2", "0.5"), returned in milliseconds for the engine. */
export function parseSeconds(text: string, flag: string, { allowZero = false } = {}): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0 || (n === 0 && !allowZero)) {
    throw new UsageError(`${flag} must be a ${allowZero ? 'non-negative' : 'positive'} number of seconds, not ${JSON.stringify(text)}`);
  }
  return Math.round(n * 1000);
}

/** Bytes, with an optional binary unit: "65536", "64k", "16MiB" (the fuzzer reads its sizes the same way). */
export function parseSize(text: string, flag: string): number {
  const bytes = parseByteSize(text);
  if (bytes === null) throw new UsageError(`${flag} must be a size in bytes (e.g. 65536, 64k, 16m), not ${JSON.stringify(text)}`);
  return bytes;
}

/** `-H 'Name: value'`, as curl and wscat take them; repeated names are kept in order. */
export function parseHeaders(lines: string[]): Record<string, string[]> {
  const headers: Record<string, string[]> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = colon === -1 ? '' : line.slice(0, colon).trim();
    if (name === '') throw new UsageError(`-H takes "Name: value", not ${JSON.stringify(line)}`);
    (headers[name] ??= []).push(line.slice(colon + 1).trim());
  }
  return headers;
}

/** A PEM (or other) file named by a flag, read now so a typo is a usage error, not a TLS failure. */
export function readFlagFile(values: Values, flag: string): Buffer | undefined {
  const path = stringFlag(values, flag);
  if (path === undefined) return undefined;
  try {
    return readFileSync(path);
  } catch (error) {
    throw new UsageError(`--${flag}: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/**
 * Runs one of the engine's argument checks; its TypeError becomes a
 * UsageError, prefixed with `flag` when the engine's message does not name it.
 */
export function flagCheck<T>(check: () => T, { flag }: { flag?: string } = {}): T {
  try {
    return check();
  } catch (error) {
    if (!(error instanceof TypeError || error instanceof RangeError)) throw error;
    throw new UsageError(flag === undefined ? error.message : `${flag}: ${error.message}`);
  }
}
