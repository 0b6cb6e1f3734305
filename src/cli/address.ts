/** --host and --port of the server commands (serve and echo also read HOST and PORT from the environment). */
import { stringFlag, type Flag, type Values } from './args.js';
import { parsePort } from './values.js';

export const ADDRESS_FLAGS: Record<string, Flag> = {
  host: { type: 'string', value: 'HOST', help: 'address to listen on (default 127.0.0.1)' },
  port: { type: 'string', value: 'PORT', help: 'port to listen on; 0 picks a free one' },
};

export function listenAddress(values: Values, defaultPort: number, { fromEnv = true } = {}): { host: string; port: number } {
  const rawPort = stringFlag(values, 'port') ?? (fromEnv ? process.env.PORT : undefined);
  return {
    host: stringFlag(values, 'host') ?? (fromEnv ? process.env.HOST : undefined) ?? '127.0.0.1',
    port: rawPort === undefined ? defaultPort : parsePort(rawPort),
  };
}

/** "host:port", with IPv6 hosts in brackets, for URLs. */
export function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}
