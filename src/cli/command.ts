import type { CommandSpec, Parsed } from './args.js';

/** A subcommand: its flags (for parsing and help) and what it does; resolves with the exit status. */
export interface Command extends CommandSpec {
  run(parsed: Parsed): Promise<number>;
}
