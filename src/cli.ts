#!/usr/bin/env node
// The `scriptling-ws` executable; the commands are in src/cli/.
import { main } from './cli/main.js';

const status = await main(process.argv.slice(2));
// Servers and clients have stopped by now; stdin may still hold the loop open.
process.exit(status);
