import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { EventEmitter, once } from 'node:events';
import { HeadDeadlines } from '../../src/transport/deadlines.js';
import { bounded } from '../helpers.js';

/** A connected pair on 127.0.0.1: [the accepted socket, the client]. */
async function socketPair(): Promise<{ accepted: net.Socket; client: net.Socket; close: () => void }> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  const [accepted] = (await once(server, 'connection')) as [net.Socket];
  return { accepted, client, close: () => { client.destroy(); accepted.destroy(); server.close(); } };
}

test('a connection whose head never ends is destroyed when its budget runs out', async () => {
  const { accepted, client, close } = await socketPair();
  try {
    new HeadDeadlines(50).start(accepted);
    client.resume();
    await bounded(once(client, 'close'), { timeoutMs: 3000, what: 'the 50 ms deadline to close the connection' });
    assert.equal(accepted.destroyed, true);
  } finally {
    close();
  }
});

test('settle() forgets the connection: no timer, and no listener left on a socket that lives on as a WebSocket', async () => {
  const { accepted, client, close } = await socketPair();
  try {
    const listeners = accepted.listenerCount('close');
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const deadlines = new HeadDeadlines(50);
      deadlines.start(accepted);
      assert.equal(accepted.listenerCount('close'), listeners + 1);
      deadlines.settle(accepted);
      assert.equal(accepted.listenerCount('close'), listeners, 'the close listener is removed with the timer');
      mock.timers.tick(1000);
    } finally {
      mock.timers.reset();
    }
    // Past the budget the socket still works.
    accepted.write('a');
    const [data] = (await once(client, 'data')) as [Buffer];
    assert.equal(data.toString(), 'a');
    assert.equal(accepted.destroyed, false);
  } finally {
    close();
  }
});

test('connections already reset when seen (no address) are destroyed at once, and never cost another its deadline', () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const deadlines = new HeadDeadlines(50);
    const gone = Object.assign(new EventEmitter(), { remoteAddress: undefined, destroyed: false, destroy() { this.destroyed = true; } });
    const alsoGone = Object.assign(new EventEmitter(), { remoteAddress: undefined, destroyed: false, destroy() { this.destroyed = true; } });
    deadlines.start(gone as unknown as net.Socket);
    deadlines.start(alsoGone as unknown as net.Socket);
    mock.timers.tick(1000);
    assert.equal(gone.destroyed, true);
    assert.equal(alsoGone.destroyed, true);
  } finally {
    mock.timers.reset();
  }
});

test("keyedBy 'address' (TLS: node:tls settles a TLSSocket, another object for the same pair) and 'socket' (plain: the object itself)", async () => {
  const { accepted, client, close } = await socketPair();
  try {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      // What node:tls hands to the request: a different object reporting the same addresses.
      const wrapper = { localAddress: accepted.localAddress, localPort: accepted.localPort, remoteAddress: accepted.remoteAddress, remotePort: accepted.remotePort } as net.Socket;
      const byAddress = new HeadDeadlines(50, { keyedBy: 'address' });
      byAddress.start(accepted);
      byAddress.settle(wrapper);
      const bySocket = new HeadDeadlines(50);
      bySocket.start(accepted);
      bySocket.settle(wrapper);
      assert.equal(accepted.destroyed, false);
      // Only 'socket' mode still holds a deadline: the wrapper is not the socket it started with.
      mock.timers.tick(1000);
      assert.equal(accepted.destroyed, true);
    } finally {
      mock.timers.reset();
    }
    await once(client, 'close');
  } finally {
    close();
  }
});
