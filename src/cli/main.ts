/**
 * scriptling-ws: the command line. Each command is a file of its own
 * declaring its flags; this one dispatches, prints help, and turns errors
 * into one line and an exit status (never a stack for a user's mistake).
 */
import { ConnectError } from '../transport/client.js';
import { UsageError, commandHelp, parseCommand } from './args.js';
import { Exit } from './exit-codes.js';
import { packageVersion } from './paths.js';
import { autobahn } from './autobahn.js';
import { connect } from './connect.js';
import { echo } from './echo.js';
import { fuzz } from './fuzz.js';
import { listen } from './listen.js';
import { serve } from './serve.js';
import type { Command } from './command.js';

export const COMMANDS: readonly Command[] = [connect, listen, serve, echo, autobahn, fuzz];

export function usage(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length)) + 2;
  const rows = COMMANDS.map((command) => `  ${command.name.padEnd(width)}${command.summary}`);
  return `usage: scriptling-ws <command> [options]    (no command: serve)

commands:
${rows.join('\n')}

scriptling-ws help <command> (or <command> --help) shows a command's options;
scriptling-ws --version prints the version.`;
}

function find(name: string): Command | undefined {
  return COMMANDS.find((command) => command.name === name);
}

/** Runs the command line; resolves with the exit status. */
export async function main(argv: string[]): Promise<number> {
  // `scriptling-ws connect … | head -1`: the reader left, so there is no one to write for.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(Exit.OK);
  });
  try {
    return await dispatch(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`scriptling-ws: ${error.message}\n\n${error.command ? commandHelp(error.command) : usage()}\n`);
      return Exit.USAGE;
    }
    if (error instanceof ConnectError) {
      process.stderr.write(`scriptling-ws: ${error.message}\n`);
      return Exit.CONNECT_FAILED;
    }
    // A system error (EADDRINUSE, EACCES…) says all in its message; anything else is our bug: show where.
    const systemError = error instanceof Error && typeof (error as NodeJS.ErrnoException).syscall === 'string';
    const text = error instanceof Error ? (systemError ? error.message : error.stack ?? error.message) : String(error);
    process.stderr.write(`scriptling-ws: ${text}\n`);
    return Exit.ERROR;
  }
}

async function dispatch(argv: string[]): Promise<number> {
  const [first = 'serve', ...rest] = argv;
  if (first === '--version' || first === '-V') return print(packageVersion());
  if (first === '--help' || first === '-h') return print(usage());
  if (first === 'help') {
    if (rest.length === 0) return print(usage());
    const command = find(rest[0]);
    if (command === undefined) throw new UsageError(`no command ${JSON.stringify(rest[0])}`);
    return command.ownArguments ? command.run({ values: {}, operands: ['--help'] }) : print(commandHelp(command));
  }
  // Options first means the default command: `scriptling-ws --port 9000` serves.
  const command = first.startsWith('-') ? serve : find(first);
  if (command === undefined) throw new UsageError(`unknown command ${JSON.stringify(first)}`);
  const parsed = parseCommand(command, command === serve && first.startsWith('-') ? argv : rest, COMMANDS);
  if (parsed.values.version === true) return print(packageVersion());
  if (parsed.values.help === true) return print(commandHelp(command));
  try {
    return await command.run(parsed);
  } catch (error) {
    // A flag's value checked inside the command (--wait, --ca…): the help shown is that command's.
    if (error instanceof UsageError && error.command === null) throw new UsageError(error.message, command);
    throw error;
  }
}

function print(text: string): number {
  process.stdout.write(`${text}\n`);
  return Exit.OK;
}
