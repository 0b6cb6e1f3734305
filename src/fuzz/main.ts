#!/usr/bin/env node
// `node dist/src/fuzz/main.js …` runs the fuzzer on its own (scripts/fuzz-compare.sh); `scriptling-ws fuzz` is the same.
import { main } from './command.js';

process.exitCode = await main(process.argv.slice(2));
