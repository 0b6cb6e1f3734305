/** `scriptling-ws fuzz …`: the fuzzer lives in src/fuzz/ and parses its own arguments. */
import { fileURLToPath } from 'node:url';
import { Exit } from './exit-codes.js';
import type { Command } from './command.js';

/** A variable, so that builds without src/fuzz/ still compile. */
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
      module = (await import(FUZZ_ENTRY)) as FuzzModule;
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
