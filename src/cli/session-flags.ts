/** Flags that `connect` and `listen` share: how records are separated, keepalive, the message size limit. */
import { stringFlag, type Flag, type Values } from './args.js';
import type { Separator } from './records.js';
import { parseSeconds, parseSize } from './values.js';

export const SESSION_FLAGS: Record<string, Flag> = {
  null: { type: 'boolean', short: '0', help: 'records are NUL-terminated instead of lines, in and out' },
  'ping-interval': { type: 'string', value: 'SECONDS', help: 'send a keepalive ping this often (0: never)' },
  'show-ping-pong': { type: 'boolean', short: 'P', help: 'print pings and pongs received' },
  'max-message-size': { type: 'string', value: 'SIZE', help: 'largest message accepted, in bytes (64k, 16m…); default 64m' },
};

export function separatorOf(values: Values): Separator {
  return values.null === true ? '\0' : '\n';
}

/**
 * The engine options of those flags. `pingInterval` is in milliseconds, the
 * engine's unit; its engine support arrives with the keepalive work (issue 9).
 */
export function sessionOptions(values: Values): { pingInterval?: number; maxMessageSize?: number } {
  const options: { pingInterval?: number; maxMessageSize?: number } = {};
  const pingInterval = stringFlag(values, 'ping-interval');
  if (pingInterval !== undefined) options.pingInterval = parseSeconds(pingInterval, '--ping-interval', { allowZero: true });
  const maxMessageSize = stringFlag(values, 'max-message-size');
  if (maxMessageSize !== undefined) options.maxMessageSize = parseSize(maxMessageSize, '--max-message-size');
  return options;
}
