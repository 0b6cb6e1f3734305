// serve({ workers: 2 }): node:cluster workers on one port, topics joined
// through the primary. The server runs in a process of its own
// (test/scale/chat-server.mjs): a worker runs the script that called serve().
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { joinChat, readMessages, startChatServer, type ChatClient } from '../scale/processes.js';
import * as ws from '../../src/scriptling/index.js';
import net from 'node:net';

/** Resolves once the server's stderr satisfies `done`; fails after `ms` saying what it waited for. */
async function stderrUntil(server: { stderr(): string; child: { stderr: NodeJS.ReadableStream | null } }, done: (text: string) => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done(server.stderr())) {
    const left = deadline - Date.now();
    assert.ok(left > 0, `no ${what} within ${ms} ms; stderr: ${server.stderr()}`);
    let timer: NodeJS.Timeout | undefined;
    await new Promise((resolve) => {
      timer = setTimeout(resolve, left);
      server.child.stderr!.once('data', resolve);
    });
    clearTimeout(timer);
  }
}

describe('serve({ workers: 2 })', () => {
  test('20 clients land on both workers and each publish reaches all 20 once, in each sender\'s order; a dead worker is replaced; close() ends them all', async () => {
    const server = await startChatServer(['--workers', '2']);
    // A failure kills the server at once: its processes would keep this file running until the runner's time limit.
    try {
      assert.equal(server.workers.length, 2);
      const clients: ChatClient[] = [];
      for (let i = 0; i < 20; i++) clients.push(await joinChat(server.port));
      const backends = new Set(clients.map((c) => c.backend));
      assert.deepEqual([...backends].sort(), [...server.workers].sort(), 'the clients are spread over both workers');

      // Three senders (on either worker), five messages each: 15 messages to each of the 20.
      const senders = [clients[0], clients[1], clients[2]];
      for (let n = 0; n < 5; n++) for (const [i, sender] of senders.entries()) await sender.client.send(`s${i} m${n}`);
      for (const { client } of clients) {
        const got = await readMessages(client, 15);
        for (let i = 0; i < senders.length; i++) {
          assert.deepEqual(got.filter((m) => m.startsWith(`s${i} `)), [0, 1, 2, 3, 4].map((n) => `s${i} m${n}`), 'each sender\'s messages once, in order');
        }
      }
      // A publish from a worker's runtime outside the chat, and one from the primary's, where no client lives: all 20 get each once.
      const publisher = await joinChat(server.port, '/publish');
      await publisher.client.send('chat from a worker');
      for (const { client } of clients) assert.equal(await client.receive(10), 'from a worker');
      server.publish('chat', 'from the primary');
      for (const { client } of clients) assert.equal(await client.receive(10), 'from the primary');
      for (const { client } of clients) assert.equal(await client.receive(0), null, 'nothing twice');

      // A worker dies: its clients see the connection end without a Close (1006); the others never notice; a new worker takes its place.
      const victim = server.workers[0];
      process.kill(victim, 'SIGKILL');
      const orphans = clients.filter((c) => c.backend === victim);
      const survivors = clients.filter((c) => c.backend !== victim);
      for (const { client } of orphans) {
        assert.equal(await client.receive(10), null);
        assert.equal(client.engine.closeInfo?.code, 1006);
      }
      let replacement: ChatClient | null = null;
      const deadline = Date.now() + 20_000;
      while (replacement === null) {
        assert.ok(Date.now() < deadline, `a replacement worker within 20 s; stderr: ${server.stderr()}`);
        // node:cluster's primary may hand a new connection to the killed worker before it sees the exit; that
        // connection is lost (Node closes it only when the worker answers), so a probe that is not answered soon is
        // retried rather than awaited for the whole connect timeout.
        const probe = await joinChat(server.port, '/chat', 2).catch((error: unknown) => {
          if (error instanceof ws.ConnectError && (error.code === 'ETIMEDOUT' || error.code === 'ECONNRESET')) return null;
          throw error;
        });
        if (probe === null) continue;
        if (probe.backend !== victim && !server.workers.includes(probe.backend)) replacement = probe;
        else await probe.client.close();
      }
      assert.match(server.stderr(), new RegExp(`worker ${victim} exited \\(SIGKILL\\); starting another`));
      await survivors[0].client.send('after the restart');
      for (const { client } of [...survivors, replacement]) assert.equal(await client.receive(10), 'after the restart');

      // close(): every worker closes its clients with 1001 and exits, then the primary.
      assert.equal(await server.stop(), 0);
      for (const { client } of [...survivors, replacement]) {
        assert.equal(await client.receive(10), null);
        assert.equal(client.engine.closeInfo?.code, 1001);
      }
      for (const pid of [...server.workers, replacement.backend]) assert.throws(() => process.kill(pid, 0), /ESRCH/, `worker ${pid} has exited`);
    } catch (error) {
      server.child.kill('SIGKILL');
      throw error;
    }
  });

  test('workers that cannot listen (port taken): serve() in the primary fails, saying why', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as net.AddressInfo;
    try {
      await assert.rejects(startChatServer(['--workers', '2', '--port', String(port)]), (error: Error) => {
        assert.match(error.message, /EADDRINUSE/);
        assert.match(error.message, /worker \d+ exited \(code 1\) before listening/);
        return true;
      });
    } finally {
      taken.close();
    }
  });

  test('a worker that stops reading is not queued for without bound: past relayHighWaterMark it misses publishes, reported once', async () => {
    const server = await startChatServer(['--workers', '2', '--relay-high-water-mark', String(256 * 1024)]);
    const listener = await joinChat(server.port);
    const stuck = listener.backend;
    const reports = () => server.stderr().match(new RegExp(`worker ${stuck} is behind: \\d+ bytes of publishes wait for it to read them; it misses publishes until it catches up`, 'g')) ?? [];
    process.kill(stuck, 'SIGSTOP'); // reads nothing until SIGCONT, however long the rest takes
    try {
      // 4 MiB published by the primary (the kernel's buffers take some): past 256 KiB waiting for that worker, it misses them.
      server.child.stdin!.write(`flood chat 32 ${128 * 1024}\n`);
      await stderrUntil(server, (text) => text.includes('flooded'), 30_000, 'the flood to end');
      assert.equal(reports().length, 1, `reported once while it reads nothing: ${server.stderr()}`);
    } finally {
      process.kill(stuck, 'SIGCONT');
    }
    try {
      // Once it has caught up, publishes reach it again (sent again while its backlog may still be draining).
      let received: unknown = null;
      while (received !== 'after') {
        server.publish('chat', 'after');
        for (received = await listener.client.receive(5); received !== null && received !== 'after'; received = await listener.client.receive(1));
      }
    } finally {
      await server.stop();
    }
  });

  test('relayHighWaterMark is checked', async () => {
    await assert.rejects(ws.createRuntime().http.serve({ port: 0, workers: 2, relayHighWaterMark: 0 }), /relayHighWaterMark must be an integer ≥ 1 \(or Infinity for no limit\), not 0/);
  });

  test('workers is checked before anything starts', async () => {
    const runtime = ws.createRuntime();
    await assert.rejects(runtime.http.serve({ port: 0, workers: -1 }), /workers must be an integer ≥ 1, or 0 \/ "auto"/);
    await assert.rejects(runtime.http.serve({ port: 0, workers: 1.5 }), RangeError);
    await assert.rejects(runtime.http.serve({ port: 0, workers: 'many' as unknown as number }), RangeError);
    await assert.rejects(runtime.http.serve({ port: 0, workers: 2, server: (await import('node:http')).createServer() }), /cannot attach/);
  });
});
