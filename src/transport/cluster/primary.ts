import cluster, { type Worker } from 'node:cluster';
import os from 'node:os';
import { TAG, WORKER_ENV, isClusterMessage, type ClusterMessage } from './messages.js';
import { report, type ErrorReporter } from '../report.js';
import { clearTimer, setTimer, type Timer } from '../timers.js';
import { checkTopic } from '../topics.js';
import { IpcBacklog } from './ipc-backlog.js';

export interface PrimaryOptions {
  /** How many workers; 0 or 'auto': one per CPU (os.availableParallelism()). */
  workers: number | 'auto';
  /**
   * 'primary': the workers' topics are joined through this process (IPC).
   * 'external': every worker joins an external pub/sub (Redis) itself, so
   * nothing is relayed here.
   */
  topics: 'primary' | 'external';
  /** How long a worker may take to close its connections before it is killed, in ms. */
  closeTimeout: number;
  /** Bytes of publishes that may wait for one worker to read them; past it that worker misses publishes (Infinity: no limit). */
  relayHighWaterMark: number;
  onError?: ErrorReporter;
}

/** What `relayHighWaterMark` is when not given: a worker may lag this far behind the others' publishes. */
export const DEFAULT_RELAY_HIGH_WATER_MARK = 16 * 1024 * 1024;

/** A worker that dies sooner than this after its start counts towards a crash loop, whose restarts back off. */
const STABLE_AFTER = 5000;
const MAX_RESTART_DELAY = 30_000;

/** The number of workers `workers` asks for: 0 and 'auto' mean one per CPU. */
export function workerCount(workers: unknown): number {
  if (workers === 'auto' || workers === 0) return os.availableParallelism();
  if (typeof workers === 'number' && Number.isInteger(workers) && workers > 0) return workers;
  throw new RangeError(`workers must be an integer ≥ 1, or 0 / "auto" for one per CPU, not ${JSON.stringify(workers)}`);
}

/**
 * The primary of `serve({ workers })`: forks the workers (each runs the
 * same script, whose `serve()` then listens on the shared port), relays
 * topics between them, restarts those that die, and closes them all.
 */
export class ClusterPrimary {
  private readonly workers = new Set<Worker>();
  private readonly started = new WeakMap<Worker, number>();
  private readonly backlogs = new WeakMap<Worker, IpcBacklog>();
  private readonly count: number;
  private closing = false;
  private crashes = 0;
  private readonly restartTimers = new Set<Timer>();
  port = 0;
  host = '';

  private constructor(private readonly options: PrimaryOptions) {
    this.count = workerCount(options.workers);
  }

  /** Forks the workers; resolves once all of them listen, rejects if one exits first. */
  static async start(options: PrimaryOptions): Promise<ClusterPrimary> {
    if (!cluster.isPrimary) throw new Error('serve({ workers }) in a worker of a cluster that is not ours');
    const primary = new ClusterPrimary(options);
    await primary.forkAll();
    return primary;
  }

  /** Sends a publish to the workers' subscribers. Returns 0: no connection lives in the primary. */
  publish(topic: string, data: Uint8Array, binary: boolean): number {
    checkTopic(topic);
    if (this.options.topics === 'external') {
      // One worker publishes it as its own: to its subscribers and, through the external pub/sub, everyone else's.
      const [first] = [...this.workers].filter((w) => w.isConnected());
      if (first !== undefined) this.backlogs.get(first)!.offer({ [TAG]: 'publish', topic, data, binary } satisfies ClusterMessage, data.byteLength);
    } else {
      this.relay({ [TAG]: 'deliver', topic, data, binary }, null);
    }
    return 0;
  }

  /** Number of workers running now. */
  get workerCount(): number {
    return this.workers.size;
  }

  /** The workers' process ids. */
  get pids(): number[] {
    return [...this.workers].map((w) => w.process.pid!);
  }

  /** Asks every worker to close (1001 to its clients) and waits for all to exit; kills those that take too long. */
  async close(): Promise<void> {
    this.closing = true;
    for (const timer of this.restartTimers) clearTimer(timer);
    const exits = [...this.workers].map((worker) => new Promise<void>((resolve) => {
      if (worker.isDead()) return resolve();
      worker.once('exit', () => resolve());
      // setTimer: closeTimeout may be off (Infinity), which setTimeout would take as 1 ms.
      const kill = setTimer(() => worker.process.kill('SIGKILL'), this.options.closeTimeout + 2000);
      worker.once('exit', () => clearTimer(kill));
      // A worker that is exiting may still look connected: the send then fails (to the callback, not as an
      // 'error' event that would end this process), and SIGTERM ends it instead.
      if (worker.isConnected()) worker.send({ [TAG]: 'close' } satisfies ClusterMessage, undefined, (error) => error && worker.process.kill('SIGTERM'));
      else worker.process.kill('SIGTERM');
    }));
    await Promise.all(exits);
  }

  private async forkAll(): Promise<void> {
    cluster.setupPrimary({ serialization: 'advanced' });
    const listening = [];
    for (let i = 0; i < this.count; i++) listening.push(this.fork());
    try {
      await Promise.all(listening);
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  /** Forks one worker; resolves when it listens, rejects if it exits first. */
  private fork(): Promise<void> {
    const worker = cluster.fork({ [WORKER_ENV]: '1' });
    this.workers.add(worker);
    this.started.set(worker, Date.now());
    this.backlogs.set(worker, new IpcBacklog((message, written) => worker.send(message as ClusterMessage, undefined, written), {
      highWaterMark: this.options.relayHighWaterMark,
      onOverflow: (pending) => report(this.options.onError, new Error(`worker ${worker.process.pid} is behind: ${pending} bytes of publishes wait for it to read them; it misses publishes until it catches up`), 'cluster'),
    }));
    worker.on('message', (message: unknown) => this.onMessage(worker, message));
    const listening = new Promise<void>((resolve, reject) => {
      const onListening = (address: { port: number; address: string | null }) => {
        worker.removeListener('exit', onEarlyExit);
        this.port = address.port;
        this.host ||= address.address ?? '';
        resolve();
      };
      const onEarlyExit = (code: number | null, signal: string | null) => {
        worker.removeListener('listening', onListening);
        reject(new Error(`worker ${worker.process.pid} exited (${signal ?? `code ${code}`}) before listening`));
      };
      worker.once('listening', onListening);
      worker.once('exit', onEarlyExit);
    });
    worker.on('exit', (code, signal) => this.onExit(worker, code, signal));
    return listening;
  }

  private onMessage(from: Worker, message: unknown): void {
    if (!isClusterMessage(message) || message[TAG] !== 'publish') return;
    this.relay({ [TAG]: 'deliver', topic: message.topic, data: message.data, binary: message.binary }, from);
  }

  private relay(message: Extract<ClusterMessage, { [TAG]: 'deliver' }>, from: Worker | null): void {
    for (const worker of this.workers) {
      if (worker !== from && worker.isConnected()) this.backlogs.get(worker)!.offer(message, message.data.byteLength);
    }
  }

  private onExit(worker: Worker, code: number | null, signal: string | null): void {
    this.workers.delete(worker);
    if (this.closing) return;
    const lived = Date.now() - (this.started.get(worker) ?? 0);
    this.crashes = lived < STABLE_AFTER ? this.crashes + 1 : 0;
    const delay = this.crashes <= 1 ? 0 : Math.min(MAX_RESTART_DELAY, 100 * 2 ** this.crashes);
    report(this.options.onError, new Error(`worker ${worker.process.pid} exited (${signal ?? `code ${code}`}); starting another${delay > 0 ? ` in ${delay} ms` : ''}`), 'cluster');
    const restart = () => {
      if (this.closing) return;
      // A replacement that dies before listening is reported by its own exit, which restarts it again.
      this.fork().catch(() => {});
    };
    if (delay === 0) {
      restart();
    } else {
      const timer = setTimer(() => {
        this.restartTimers.delete(timer);
        restart();
      }, delay);
      this.restartTimers.add(timer);
    }
  }
}
