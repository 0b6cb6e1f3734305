import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { WebSocketConnection } from '../scriptling/connection.js';

/** The package root, from dist/src/cli/: package.json and examples/ ship with the package. */
export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const EXAMPLES = join(PACKAGE_ROOT, 'examples');

/** The example server of `scriptling-ws serve`: the page at / and the seed's handlers (examples/handlers.mjs). */
export interface ExampleServer {
  page: string;
  handlers: Record<string, (client: WebSocketConnection) => unknown>;
}

/** What the CLI reads from its package folder; the one-file build has none and carries it in itself. */
export interface PackageFiles {
  version: string;
  examples: ExampleServer;
}

let embedded: PackageFiles | null = null;

/** Called by the one-file build at load. */
export function embedPackageFiles(files: PackageFiles): void {
  embedded = files;
}

export function packageVersion(): string {
  if (embedded !== null) return embedded.version;
  return (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

export async function exampleServer(): Promise<ExampleServer> {
  if (embedded !== null) return embedded.examples;
  const page = readFileSync(join(EXAMPLES, 'index.html'), 'utf8');
  const handlers = (await import(pathToFileURL(join(EXAMPLES, 'handlers.mjs')).href)) as ExampleServer['handlers'];
  return { page, handlers };
}
