import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HandshakeError, HeadReader, acceptKey, buildClientRequest, checkHeaders, checkServerResponse, generateKey, isValidKey, parseResponseHead,
} from '../../src/protocol/handshake.js';
import { switching } from '../helpers.js';

test('Sec-WebSocket-Accept: the RFC 6455 §1.3 example', () => {
  assert.equal(acceptKey('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
});

test('keys are 16 random bytes in base64', () => {
  const key = generateKey();
  assert.equal(Buffer.from(key, 'base64').length, 16);
  assert.ok(isValidKey(key));
  assert.notEqual(generateKey(), key);
  assert.equal(isValidKey('short=='), false);
  assert.equal(isValidKey(undefined), false);
});

test('the client request carries path, query, Host with port and version 13', () => {
  const head = buildClientRequest({ host: 'example.com:8080', resource: '/chat?room=1', key: 'dGhlIHNhbXBsZSBub25jZQ==', extensions: 'permessage-deflate', headers: [['Authorization', 'Bearer x']] });
  assert.match(head, /^GET \/chat\?room=1 HTTP\/1\.1\r\n/);
  assert.match(head, /\r\nHost: example\.com:8080\r\n/);
  assert.match(head, /\r\nSec-WebSocket-Version: 13\r\n/);
  assert.match(head, /\r\nAuthorization: Bearer x\r\n\r\n$/);
  const own = buildClientRequest({ host: 'a', resource: '/', key: 'k', headers: [['Host', 'b']] });
  assert.doesNotMatch(own, /Host: a/);
});

test('header injection is refused before anything is sent', () => {
  assert.throws(() => checkHeaders({ 'X-A': 'ok\r\nEvil: 1' }), /control characters/);
  assert.throws(() => checkHeaders({ 'X-A': 'nul\0' }), /control characters/);
  assert.throws(() => checkHeaders({ 'X-A': 'lf\n' }), /control characters/);
  assert.throws(() => checkHeaders({ 'Bad Name': 'x' }), /HTTP token/);
  assert.throws(() => checkHeaders({ 'Bad:Name': 'x' }), /HTTP token/);
  assert.throws(() => checkHeaders({ 'Sec-WebSocket-Key': 'x' }), /cannot be overridden/);
  assert.throws(() => checkHeaders({ 'X-A': { nested: 1 } } as never), /must be a string/);
  assert.throws(() => checkHeaders([] as never), /object/);
  assert.deepEqual(checkHeaders({ 'X-A': 'v', 'X-N': 3, 'X-L': ['a', 'b'] }), [['X-A', 'v'], ['X-N', '3'], ['X-L', 'a'], ['X-L', 'b']]);
  assert.deepEqual(checkHeaders(undefined), []);
});

test('server response checks (§4.1)', () => {
  const key = generateKey();
  const ok = parseResponseHead(switching(key).trimEnd());
  checkServerResponse(ok, key);
  assert.throws(() => checkServerResponse(parseResponseHead('HTTP/1.1 403 Forbidden'), key), /unexpected HTTP status 403 Forbidden/);
  assert.throws(() => checkServerResponse(parseResponseHead(switching(generateKey()).trimEnd()), key), /bad Sec-WebSocket-Accept/);
  const noUpgrade = parseResponseHead(`HTTP/1.1 101 OK\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(key)}`);
  assert.throws(() => checkServerResponse(noUpgrade, key), /Upgrade: websocket/);
  const noConnection = parseResponseHead(`HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: ${acceptKey(key)}`);
  assert.throws(() => checkServerResponse(noConnection, key), /Connection: Upgrade/);
  const protocol = parseResponseHead(`${switching(key).trimEnd()}\r\nSec-WebSocket-Protocol: chat`);
  assert.throws(() => checkServerResponse(protocol, key), /subprotocol/);
  assert.throws(() => parseResponseHead('HTTP/2 101'), HandshakeError);
  assert.throws(() => parseResponseHead('HTTP/1.1 101 OK\r\nno colon here'), /invalid HTTP header/);
  assert.equal(parseResponseHead('HTTP/1.1 101 OK\r\nX: a\r\nx: b').headers.get('x'), 'a, b');
});

test('HeadReader: trickled heads, leftovers, and the size bound', () => {
  const reader = new HeadReader(64);
  const text = 'HTTP/1.1 101 OK\r\nA: b\r\n\r\n\x81\x00';
  let result = null;
  for (const ch of text) result ??= reader.push(Buffer.from(ch, 'latin1'));
  assert.ok(result);
  assert.equal(result.head, 'HTTP/1.1 101 OK\r\nA: b');
  const flood = new HeadReader(64);
  assert.throws(() => flood.push(Buffer.alloc(100, 0x41)), (e: HandshakeError) => e.status === 431);
  const longHead = new HeadReader(16);
  assert.throws(() => longHead.push(Buffer.from('HTTP/1.1 101 Switching\r\n\r\n')), /longer than 16/);
});

