/**
 * How messages are written as lines: what a typed or piped line becomes
 * when sent, and how a received binary message is shown. Text is always
 * shown as is; binary defaults to hex so one message stays one line.
 */
import { UsageError, type Flag, type Values } from './args.js';

export type DataFormat = 'text' | 'binary' | 'hex' | 'base64';

export const DATA_FORMAT_FLAGS: Record<string, Flag> = {
  binary: { type: 'boolean', help: 'send each line as a binary message (its bytes); write received binary as raw bytes' },
  hex: { type: 'boolean', help: 'send each line as binary, decoded from hex; write received binary as hex (the default)' },
  base64: { type: 'boolean', help: 'send each line as binary, decoded from base64; write received binary as base64' },
};

export function dataFormat(values: Values): DataFormat {
  const chosen = (['binary', 'hex', 'base64'] as const).filter((name) => values[name] === true);
  if (chosen.length > 1) throw new UsageError(`--${chosen[0]} and --${chosen[1]} cannot be combined`);
  return chosen[0] ?? 'text';
}

/** Bad hex or base64 in an input line: that line is refused, the connection stays up. */
export class InputError extends Error {
  override name = 'InputError';
}

const HEX = /^(?:[0-9a-f]{2})*$/i;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;

/** "01 02 ff", "01:02:ff" and "0102ff" are the same three bytes. */
export function decodeHex(text: string): Buffer {
  const digits = text.replace(/[\s:]/g, '');
  if (!HEX.test(digits)) throw new InputError(`not hex bytes: ${JSON.stringify(text)}`);
  return Buffer.from(digits, 'hex');
}

export function decodeBase64(text: string): Buffer {
  const digits = text.replace(/\s/g, '');
  if (!BASE64.test(digits)) throw new InputError(`not base64: ${JSON.stringify(text)}`);
  return Buffer.from(digits, 'base64');
}

/** What one input record is sent as. */
export function encodeInput(record: string, format: DataFormat): string | Buffer {
  switch (format) {
    case 'text':
      return record;
    case 'binary':
      return Buffer.from(record);
    case 'hex':
      return decodeHex(record);
    case 'base64':
      return decodeBase64(record);
  }
}

/** A received message as output: text as is, binary per the format. */
export function formatMessage(message: string | Uint8Array | number[], format: DataFormat): string | Buffer {
  if (typeof message === 'string') return message;
  const bytes = Buffer.isBuffer(message) ? message : Buffer.from(message);
  if (format === 'binary') return bytes;
  return format === 'base64' ? bytes.toString('base64') : bytes.toString('hex');
}
