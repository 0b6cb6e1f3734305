import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWebSocketUrl } from '../../src/protocol/url.js';
import { ConnectError } from '../../src/protocol/connect-error.js';

test('host header, resource and default ports (RFC 6455 §3, §4.1)', () => {
  assert.deepEqual(parseWebSocketUrl('ws://example.com/chat?x=1'), { secure: false, host: 'example.com', port: 80, hostHeader: 'example.com', resource: '/chat?x=1' });
  assert.deepEqual(parseWebSocketUrl('wss://example.com:8443'), { secure: true, host: 'example.com', port: 8443, hostHeader: 'example.com:8443', resource: '/' });
  assert.deepEqual(parseWebSocketUrl('ws://[::1]:9000/'), { secure: false, host: '::1', port: 9000, hostHeader: '[::1]:9000', resource: '/' });
  assert.equal(parseWebSocketUrl('ws://example.com:80/').hostHeader, 'example.com');
});

test('a URL that is not ws(s) is a ConnectError with ERR_INVALID_URL; a value that is not a URL a TypeError', () => {
  for (const url of ['http://example.com/', 'not a url', 'ws://example.com:99999/', 'ws://example.com/#frag', 'ws://user:pw@example.com/', 'ws://']) {
    assert.throws(() => parseWebSocketUrl(url), (e: Error) => e instanceof ConnectError && e.code === 'ERR_INVALID_URL', url);
  }
  assert.throws(() => parseWebSocketUrl(42 as unknown as string), TypeError);
});
