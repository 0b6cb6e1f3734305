import cluster from 'node:cluster';
import { TAG, WORKER_ENV, isClusterMessage, type ClusterMessage } from './messages.js';
import type { Deliver, PubSub, PubSubFactory } from '../pubsub/pubsub.js';
import { IpcBacklog } from './ipc-backlog.js';
import { report, type ErrorReporter } from '../report.js';

/** True in a worker forked by our primary (`serve({ workers })`), not in someone else's cluster. */
export function isOurWorker(): boolean {
  return cluster.isWorker && process.env[WORKER_ENV] === '1';
}

/**
 * The worker's link to its siblings through the primary: a publish goes
 * to the primary, which hands it to every other worker; IPC keeps one
 * sender's messages in order.
 */
export function primaryPubSub(options: { relayHighWaterMark: number; onError?: ErrorReporter }): PubSubFactory {
  return (deliver: Deliver): PubSub => {
    // A primary that does not read (its script blocked) must not grow this worker without bound.
    const toPrimary = new IpcBacklog((message, written) => process.send!(message, undefined, undefined, written), {
      highWaterMark: options.relayHighWaterMark,
      onOverflow: (pending) => report(options.onError, new Error(`the primary is behind: ${pending} bytes of this worker's publishes wait for it to read them; the other workers miss them until it catches up`), 'cluster'),
    });
    const onMessage = (message: unknown): void => {
      if (isClusterMessage(message) && message[TAG] === 'deliver') deliver(message.topic, message.data, message.binary);
    };
    process.on('message', onMessage);
    return {
      publish(topic, data, binary) {
        const message: ClusterMessage = { [TAG]: 'publish', topic, data, binary };
        if (process.connected) toPrimary.offer(message, data.byteLength);
      },
      subscribe() {},
      unsubscribe() {},
      async close() {
        process.removeListener('message', onMessage);
      },
    };
  };
}

/**
 * Wires a worker's server to its primary: a publish asked for by the
 * primary (whose own `runtime.publish` goes through one worker when the
 * workers share Redis), and the primary's close, after which the worker exits.
 */
export function serveForPrimary(server: { publish(topic: string, data: Uint8Array, options: { binary: boolean }): number; close(): Promise<void> }): void {
  // Ctrl-C reaches every process of the terminal's group: the primary decides, and closes its workers.
  process.on('SIGINT', () => {});
  process.on('message', (message: unknown) => {
    if (!isClusterMessage(message)) return;
    if (message[TAG] === 'publish') server.publish(message.topic, message.data, { binary: message.binary });
    else if (message[TAG] === 'close') {
      void server.close().finally(() => process.exit(0));
    }
  });
}
