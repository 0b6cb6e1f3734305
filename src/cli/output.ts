/**
 * Where a session writes: messages on stdout, one per record, so a pipe gets
 * nothing else; notes (connected, closed, pongs, errors) on stderr.
 */
import type { Writable } from 'node:stream';
import type { Separator } from './records.js';

export interface Output {
  /** A received message, already formatted; `from` prefixes it (a client id). */
  message(data: string | Buffer, from?: string): void;
  /** A status line for the human. */
  note(text: string): void;
}

export function streamOutput(separator: Separator, out: Writable = process.stdout, err: Writable = process.stderr): Output {
  return {
    message(data, from) {
      if (from !== undefined) out.write(`${from} `);
      out.write(data);
      out.write(separator);
    },
    note(text) {
      err.write(`${text}\n`);
    },
  };
}
