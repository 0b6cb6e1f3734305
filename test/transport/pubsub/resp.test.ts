import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { RespError, RespProtocolError, RespReader, encodeCommand } from '../../../src/transport/pubsub/resp.js';
import { describeRedis, parseRedisUrl } from '../../../src/transport/pubsub/redis-url.js';

describe('RESP2', () => {
  test('commands are arrays of binary-safe bulk strings', () => {
    assert.equal(encodeCommand(['PUBLISH', 'ch', Buffer.from([0, 13, 10, 255])]).toString('latin1'), '*3\r\n$7\r\nPUBLISH\r\n$2\r\nch\r\n$4\r\n\x00\r\n\xff\r\n');
    assert.equal(encodeCommand(['SET', 'é']).toString('latin1'), '*2\r\n$3\r\nSET\r\n$2\r\n\xc3\xa9\r\n');
  });

  test('replies decode whole and byte by byte alike', () => {
    const wire = Buffer.concat([
      Buffer.from('+OK\r\n-WRONGPASS invalid\r\n:42\r\n$-1\r\n*-1\r\n$0\r\n\r\n'),
      Buffer.from('*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$4\r\n'), Buffer.from([0, 13, 10, 255]), Buffer.from('\r\n'),
      Buffer.from('*2\r\n*1\r\n:1\r\n+x\r\n'),
    ]);
    const check = (replies: unknown[]) => {
      assert.equal(replies.length, 9);
      assert.equal(replies[0], 'OK');
      assert.ok(replies[1] instanceof RespError);
      assert.equal((replies[1] as RespError).message, 'WRONGPASS invalid');
      assert.equal(replies[2], 42);
      assert.equal(replies[3], null);
      assert.equal(replies[4], null);
      assert.deepEqual(replies[5], Buffer.alloc(0));
      assert.deepEqual(replies[6], [Buffer.from('message'), Buffer.from('ch'), Buffer.from([0, 13, 10, 255])]);
      assert.deepEqual(replies[7], [[1], 'x']);
    };
    const whole = new RespReader(1024).push(wire);
    const reader = new RespReader(1024);
    const piecewise = [];
    for (const byte of wire) piecewise.push(...reader.push(Buffer.from([byte])));
    check([...whole, 'end']);
    check([...piecewise, 'end']);
  });

  test('a reply over the size limit, an unknown type byte or a bad length end the connection (RespProtocolError)', () => {
    assert.throws(() => new RespReader(10).push(Buffer.from('$100\r\n')), RespProtocolError);
    assert.throws(() => new RespReader(10).push(Buffer.from('*2\r\n' + '+aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n')), RespProtocolError);
    assert.throws(() => new RespReader(10).push(Buffer.from('?\r\n')), /not a RESP2 reply/);
    assert.throws(() => new RespReader(10).push(Buffer.from('$x\r\n')), /bad RESP integer/);
    assert.throws(() => new RespReader(10).push(Buffer.from('$2\r\nabcd')), /not followed by CRLF/);
    assert.throws(() => new RespReader(10).push(Buffer.alloc(2000, 0x2b)), /longer than 1024/);
  });
});

describe('Redis URLs', () => {
  test('user, password, host, port and database; rediss is TLS', () => {
    assert.deepEqual(parseRedisUrl('redis://127.0.0.1'), { tls: false, host: '127.0.0.1', port: 6379, username: null, password: null, db: 0 });
    assert.deepEqual(parseRedisUrl('rediss://al%40ice:p%3Ass@redis.example:6380/3'), { tls: true, host: 'redis.example', port: 6380, username: 'al@ice', password: 'p:ss', db: 3 });
    assert.deepEqual(parseRedisUrl('redis://:secret@[::1]:7000/'), { tls: false, host: '::1', port: 7000, username: null, password: 'secret', db: 0 });
    assert.equal(describeRedis(parseRedisUrl('redis://u:secret@[::1]:7000/2')), 'redis://[::1]:7000/2');
  });

  test('anything else is a TypeError that says what is expected', () => {
    assert.throws(() => parseRedisUrl('localhost:6379'), /expected redis:\/\//);
    assert.throws(() => parseRedisUrl('http://h:1'), /is not redis: or rediss:/);
    assert.throws(() => parseRedisUrl('redis://h:1/db'), /database number/);
    assert.throws(() => parseRedisUrl('redis://h:1/0?x=1'), /no query/);
  });
});
