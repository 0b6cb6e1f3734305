/** `redis://[user:password@]host[:port][/db]` (and `rediss://`, over TLS) as connection settings. */
export interface RedisAddress {
  tls: boolean;
  host: string;
  port: number;
  /** Redis 6 ACL user; null: AUTH with the password alone. */
  username: string | null;
  password: string | null;
  db: number;
}

export function parseRedisUrl(text: string): RedisAddress {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError(`pubsub: not a URL: ${JSON.stringify(text)} (expected redis://[user:password@]host:port[/db])`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new TypeError(`pubsub: ${JSON.stringify(url.protocol)} is not redis: or rediss: (expected redis://[user:password@]host:port[/db])`);
  }
  if (url.hostname === '') throw new TypeError(`pubsub: no host in ${JSON.stringify(text)}`);
  const path = url.pathname.replace(/^\//, '');
  if (path !== '' && !/^\d{1,5}$/.test(path)) throw new TypeError(`pubsub: the path of a Redis URL is the database number, not ${JSON.stringify(path)}`);
  if (url.search !== '' || url.hash !== '') throw new TypeError('pubsub: a Redis URL takes no query or fragment');
  const decode = (part: string): string | null => (part === '' ? null : decodeURIComponent(part));
  return {
    tls: url.protocol === 'rediss:',
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? 6379 : Number(url.port),
    username: decode(url.username),
    password: decode(url.password),
    db: path === '' ? 0 : Number(path),
  };
}

/** The URL without its password, for messages. */
export function describeRedis(address: RedisAddress): string {
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return `${address.tls ? 'rediss' : 'redis'}://${host}:${address.port}/${address.db}`;
}
