/**
 * One argument parser for every command, on node:util's parseArgs: each
 * command declares its flags once, and the same declaration drives parsing,
 * its help text and the refusal of flags that belong to other commands.
 */
import { parseArgs } from 'node:util';

export interface Flag {
  type: 'string' | 'boolean';
  short?: string;
  /** Repeatable: the values are collected in order. */
  multiple?: boolean;
  /** The value's placeholder in the help, e.g. "PORT". */
  value?: string;
  help: string;
}

export interface CommandSpec {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Positional arguments in the synopsis, e.g. "URL". */
  operands?: string[];
  flags: Record<string, Flag>;
  /** Text after the flag list: exit codes, examples. */
  notes?: string;
  /** The command parses its own arguments: they are handed over as operands, untouched. */
  ownArguments?: boolean;
}

/** A mistake in the command line: printed with the command's usage, exit status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
  constructor(message: string, readonly command: CommandSpec | null = null) {
    super(message);
  }
}

/** Flags every command takes. */
export const COMMON_FLAGS: Record<string, Flag> = {
  help: { type: 'boolean', short: 'h', help: 'show this help' },
  version: { type: 'boolean', short: 'V', help: 'print the version' },
};

export type Values = Record<string, string | boolean | string[] | undefined>;

export interface Parsed {
  values: Values;
  operands: string[];
}

/**
 * Parses `argv` against the command's flags. Every parseArgs failure
 * becomes a UsageError with one short sentence; `others` lets an unknown
 * flag be named as belonging to another command.
 */
export function parseCommand(spec: CommandSpec, argv: string[], others: readonly CommandSpec[] = []): Parsed {
  if (spec.ownArguments) return { values: {}, operands: argv };
  const flags = { ...spec.flags, ...COMMON_FLAGS };
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, flag] of Object.entries(flags)) {
    options[name] = { type: flag.type, ...(flag.short ? { short: flag.short } : {}), ...(flag.multiple ? { multiple: true } : {}) };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(explain(error as Error & { code?: string }, spec, others), spec);
  }
  const operands = parsed.positionals;
  const expected = spec.operands ?? [];
  if (parsed.values.help !== true && parsed.values.version !== true && operands.length > expected.length) {
    throw new UsageError(`unexpected argument ${JSON.stringify(operands[expected.length])}`, spec);
  }
  return { values: parsed.values as Values, operands };
}

function explain(error: Error & { code?: string }, spec: CommandSpec, others: readonly CommandSpec[]): string {
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const option = /'([^']+)'/.exec(error.message)?.[1] ?? '?';
    const owners = others.filter((other) => other !== spec && mentions(other, option)).map((other) => other.name);
    if (owners.length > 0) return `${option} does not apply to ${spec.name} (it is an option of ${owners.join(', ')})`;
    return `unknown option ${option}`;
  }
  if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const option = /'(-[^' <]+)/.exec(error.message)?.[1] ?? 'an option';
    if (/argument missing/.test(error.message)) return `${option} needs a value`;
    if (/does not take an argument/.test(error.message)) return `${option} does not take a value`;
    if (/ambiguous/.test(error.message)) return `${option} needs a value (write ${option}=VALUE for one that starts with "-")`;
  }
  return error.message.split('\n')[0];
}

function mentions(spec: CommandSpec, option: string): boolean {
  return Object.entries(spec.flags).some(([name, flag]) => option === `--${name}` || (flag.short !== undefined && option === `-${flag.short}`));
}

/** The command's own help: synopsis, flags, notes. */
export function commandHelp(spec: CommandSpec): string {
  const synopsis = [`scriptling-ws ${spec.name}`, ...(spec.operands ?? []), '[options]'].join(' ');
  const rows = Object.entries({ ...spec.flags, ...COMMON_FLAGS }).map(([name, flag]) => {
    const names = `${flag.short ? `-${flag.short}, ` : '    '}--${name}${flag.value ? ` ${flag.value}` : ''}`;
    return [names, flag.help + (flag.multiple ? ' (repeatable)' : '')];
  });
  const width = Math.max(...rows.map(([names]) => names.length)) + 2;
  const lines = rows.map(([names, help]) => `  ${names.padEnd(width)}${help}`);
  return `usage: ${synopsis}\n${spec.summary}\n\noptions:\n${lines.join('\n')}${spec.notes ? `\n\n${spec.notes}` : ''}`;
}

export function stringFlag(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

export function listFlag(values: Values, name: string): string[] {
  const value = values[name];
  return Array.isArray(value) ? value : [];
}
