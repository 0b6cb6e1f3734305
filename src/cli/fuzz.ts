/** `scriptling-ws fuzz …`: the fuzzer lives in src/fuzz/ and parses its own arguments. */
import { fileURLToPath } from 'node:url';
import { Exit } from './exit-codes.js';
import type { Command } from './command.js';

/** The same entry as a path, to tell its absence from a failure of its own. */
const FUZZ_ENTRY = '../fuzz/command.js';

interface FuzzModule {
  main(argv: string[]): Promise<number>;
}

export const fuzz: Command = {
  name: 'fuzz',
  summary: 'fuzz a WebSocket peer (see scriptling-ws fuzz --help)',
  flags: {},
  ownArguments: true,
  async run({ operands }) {
    let module: FuzzModule;
    try {
      // A literal specifier, so that the one-file build carries the fuzzer; loaded on demand, as the other commands need none of it.
      module = (await import('../fuzz/command.js')) as FuzzModule;
    } catch (error) {
      // Only the entry itself missing means "not in this build"; anything else is the fuzzer's own failure.
      const entry = fileURLToPath(new URL(FUZZ_ENTRY, import.meta.url));
      const err = error as NodeJS.ErrnoException;
      if (err.code !== 'ERR_MODULE_NOT_FOUND' || !err.message.includes(entry)) throw error;
      process.stderr.write('scriptling-ws: fuzz is not available in this build\n');
      return Exit.USAGE;
    }
    return module.main(operands);
  },
};
