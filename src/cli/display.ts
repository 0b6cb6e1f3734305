/**
 * How received messages are shown. On a terminal, control characters are
 * escaped (a peer must not set the window title, write the clipboard or
 * clear the screen); `--raw` prints them as they are. `--json` writes one
 * JSON object per message, saying text or binary, so that a pipe reads one
 * message per line whatever it holds.
 */
import { UsageError, type Flag, type Values } from './args.js';
import { formatMessage, type DataFormat } from './data-format.js';

export interface Display {
  /** One JSON object per message: {"type":"text"|"binary","data":…}. */
  json: boolean;
  /** Control characters and "\" escaped (on a terminal, unless --raw); binary marked as such. */
  escape: boolean;
}

export const DISPLAY_FLAGS: Record<string, Flag> = {
  json: { type: 'boolean', help: 'write each message as a JSON line: {"type":"text"|"binary","data":…} (binary as hex, or base64 with --base64/--binary)' },
  raw: { type: 'boolean', help: 'on a terminal, print control characters (escape sequences) as they are instead of escaped' },
};

export function displayOf(values: Values, { terminal }: { terminal: boolean }): Display {
  if (values.json === true && values.raw === true) throw new UsageError('--json and --raw cannot be combined');
  return { json: values.json === true, escape: terminal && values.raw !== true && values.json !== true };
}

/** C0 controls but tab, DEL, C1 controls, and "\" itself so that the escaping reads back unambiguously. */
const CONTROLS = /[\\\x00-\x08\x0a-\x1f\x7f-\x9f]/g;
const NAMED: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\x1b': '\\e' };

export function escapeControls(text: string): string {
  return text.replace(CONTROLS, (c) => NAMED[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** JSON.stringify leaves DEL, the C1 controls and the line separators raw: they are escaped too. */
const JSON_UNSAFE = /[\x7f-\x9f\u2028\u2029]/g;

/** A received message as it is written out. */
export function show(message: string | Uint8Array | number[], format: DataFormat, display: Display): string | Buffer {
  const binary = typeof message !== 'string';
  if (display.json) {
    const data = formatMessage(message, format === 'binary' ? 'base64' : format) as string;
    const line = JSON.stringify({ type: binary ? 'binary' : 'text', data });
    return line.replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  }
  const shown = formatMessage(message, format);
  if (!display.escape) return shown;
  const text = escapeControls(typeof shown === 'string' ? shown : shown.toString('latin1'));
  return binary ? `[binary] ${text}` : text;
}
