// As deployed: real nginx (two upstreams) in front of two server processes
// joined by a real Redis: one runs 2 workers, the other is a single process.
// Every client connects through nginx to the example chat (/chat, a topic).
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { Nginx, RedisServer, joinChat, missing, readMessages, startChatServer, type ChatClient, type ChatServer } from './processes.js';
import { State } from '../../src/protocol/connection.js';

const skip = missing('redis-server', 'redis-server') || missing('nginx', 'nginx');

describe('nginx in front of two servers joined by Redis', { skip }, () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  after(async () => {
    for (const step of cleanup.reverse()) await step().catch(() => {});
  });

  /** Each client gets `messages` once; each sender's in the order sent. */
  async function everyoneGets(clients: ChatClient[], messages: string[]): Promise<void> {
    for (const { client, backend } of clients) {
      const got = await readMessages(client, messages.length);
      assert.deepEqual([...got].sort(), [...messages].sort(), `client on ${backend}`);
      for (const sender of new Set(messages.map((m) => m.split(' ')[0]))) {
        assert.deepEqual(got.filter((m) => m.startsWith(`${sender} `)), messages.filter((m) => m.startsWith(`${sender} `)), 'in order');
      }
    }
    // Nothing twice: a last marker is the next message each gets.
    await clients[0].client.send('marker');
    for (const { client } of clients) assert.equal(await client.receive(10), 'marker');
  }

  test('clients land on both backends; each chat message reaches every client once; Redis restarted and a backend killed are survived', async () => {
    const redis = await RedisServer.start();
    cleanup.push(() => redis.dispose());
    const pubsub = ['--pubsub', redis.url];
    const multi: ChatServer = await startChatServer(['--workers', '2', ...pubsub]);
    cleanup.push(() => multi.stop());
    const single: ChatServer = await startChatServer(pubsub);
    cleanup.push(() => single.stop());
    const nginx = await Nginx.start([multi.port, single.port]);
    cleanup.push(() => nginx.dispose());

    const clients: ChatClient[] = [];
    for (let i = 0; i < 12; i++) clients.push(await joinChat(nginx.port));
    const backends = new Set(clients.map((c) => c.backend));
    assert.ok(backends.has(single.child.pid!), 'some clients on the single process');
    assert.ok(multi.workers.some((pid) => backends.has(pid)), 'some on the workers');
    // Every process holds the chat's channel (each worker joins Redis itself).
    await redis.subscribers('scriptling-ws:chat', 3);

    const messages: string[] = [];
    for (let n = 0; n < 3; n++) {
      for (const i of [0, 1, 2, 3]) {
        const text = `c${i} ${n}`;
        messages.push(text);
        await clients[i].client.send(text);
      }
    }
    await everyoneGets(clients, messages);

    // Redis stops and starts again: the servers reconnect and resubscribe, every client stays connected.
    await redis.stop();
    await redis.restart();
    await redis.subscribers('scriptling-ws:chat', 3, 10_000);
    for (const { client } of clients) assert.equal(client.engine.state, State.OPEN);
    // The publishers reconnect on their own schedule: until then a publish waits in its process's queue and goes out on reconnection.
    await clients[5].client.send('c5 after redis');
    await clients[6].client.send('c6 after redis');
    await everyoneGets(clients, ['c5 after redis', 'c6 after redis']);
    assert.match(single.stderr(), /WS_ERR_PUBSUB_DOWN/);

    // The single process dies: its clients see the connection end without a Close (1006) and come back through nginx to the workers.
    const dead = single.child.pid!;
    single.child.kill('SIGKILL');
    const orphans = clients.filter((c) => c.backend === dead);
    const others = clients.filter((c) => c.backend !== dead);
    for (const { client } of orphans) {
      assert.equal(await client.receive(10), null);
      assert.equal(client.engine.closeInfo?.code, 1006);
    }
    const back: ChatClient[] = [];
    for (let i = 0; i < orphans.length; i++) back.push(await joinChat(nginx.port));
    for (const { backend } of back) assert.ok(multi.workers.includes(backend), `reconnected to a worker, not ${backend}`);
    await redis.subscribers('scriptling-ws:chat', 2);
    for (const { client } of others) assert.equal(client.engine.state, State.OPEN, 'the others never noticed');
    await others[0].client.send('c0 after the crash');
    await back[0].client.send('b0 back');
    await everyoneGets([...others, ...back], ['c0 after the crash', 'b0 back']);
    for (const { client } of [...others, ...back]) await client.close();
  });
});
