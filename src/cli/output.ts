/**
 * Where a session writes: messages on stdout, one per record, so a pipe gets
 * nothing else; notes (connected, closed, pongs, errors) on stderr.
 */
import type { Writable } from 'node:stream';
import type { Separator } from './records.js';

export interface Output {
  /**
   * A received message, already formatted; `from` prefixes it (a client id).
   * Returns false when the output is full: the caller waits for `writable()`
   * before taking the next message, so a slow reader slows the peer down
   * (the engine stops reading the socket once its queue is full) instead of
   * growing our memory.
   */
  message(data: string | Buffer, from?: string): boolean;
  /** Resolves once the output can take more (at once when it is not full). */
  writable(): Promise<void>;
  /** A status line for the human. */
  note(text: string): void;
}

const RESOLVED = Promise.resolve();

export function streamOutput(separator: Separator, { json = false } = {}, out: Writable = process.stdout, err: Writable = process.stderr): Output {
  let warned = json; // a JSON line never holds a raw newline
  return {
    message(data, from) {
      if (!warned && data.includes(separator)) {
        warned = true;
        err.write(`a message holds a ${separator === '\n' ? 'line break' : 'NUL'}: to keep one message per record, use ${separator === '\n' ? '-0 (NUL-separated) or ' : ''}--json\n`);
      }
      if (from !== undefined) out.write(`${from} `);
      out.write(data);
      return out.write(separator);
    },
    writable() {
      return out.writableNeedDrain ? untilDrained(out) : RESOLVED;
    },
    note(text) {
      err.write(`${text}\n`);
    },
  };
}

/** 'drain', or the stream's end (a reader that left is handled where stdout's EPIPE is). */
function untilDrained(out: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.removeListener('drain', done);
      out.removeListener('close', done);
      out.removeListener('error', done);
      resolve();
    };
    out.on('drain', done);
    out.on('close', done);
    out.on('error', done);
  });
}
