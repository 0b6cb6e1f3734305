import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort, type ResourceLimits } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { toMilliseconds } from '../scriptling/values.js';
import { ConnectError } from '../transport/client.js';
import type { ScriptlingConnectOptions } from '../scriptling/index.js';
import { SyncConnection } from './connection.js';
import { WorkerConnection } from './worker-connection.js';
import { CallerConnection } from './caller-connection.js';
import { WorkerDiedError } from './worker-died.js';
import type { WorkerLink } from './worker-link.js';
import { CUSTODY_BYTES } from './custody.js';
import { THREAD_ROLE, threadEntry } from './thread-entries.js';
import {
  SEQUENCE, STATE_BYTES, STATUS, Status, reviveError,
  type Event, type Fate, type Request, type SocketThread, type SupervisorData,
} from './messages.js';

/** What connect() and close() wait for: the open connection, 'failed' or 'done'. */
type Answer = SyncConnection | Extract<Event, { type: 'failed' | 'done' }>;

export interface SyncWorkerOptions {
  /** Limits for the engine thread (worker_threads' resourceLimits); exceeding them is reported as WorkerDiedError. */
  resourceLimits?: ResourceLimits;
  /** The engine module; default worker.js beside this file. Tests substitute engines that misbehave. */
  engineFile?: URL;
  /**
   * Where plain-TCP (ws://) sockets are read and written: 'caller' (default)
   * runs the protocol on the calling thread, with no thread hop per message;
   * 'worker' keeps them in the worker, which then also sends keepalive Pings
   * while the caller is busy elsewhere. wss:// always runs in the worker.
   */
  socketThread?: SocketThread;
}

/** connect()'s timeout when none is given (the seed's 10 s). */
const DEFAULT_CONNECT_MS = 10_000;
/** How long a thread that exits waits for what it sent to be handed to the kernel. */
const EXIT_FLUSH_MS = 2000;
/** The workers of this thread that are alive, for the flush at exit. */
const live = new Set<SyncWorker>();
let exitHookSet = false;

/** How long the threads may take to start (a loaded machine, a slow disk) before the caller gives up on them. */
const STARTUP_LIMIT_MS = 30_000;
/** Waits are bounded slices, re-checking the worker's status; the supervisor's wake-up is what normally ends them early. */
const WAIT_SLICE_MS = 1000;

/**
 * One engine thread serving every connection made through it, and the
 * calling thread's side of the link: requests go out on a MessagePort;
 * events come back on another and are taken with receiveMessageOnPort
 * while the caller sleeps in Atomics.wait on a shared sequence word.
 *
 * The threads are started at once and `unref`'d, so they never keep the
 * process alive: a script that forgets close() still exits, and its
 * sockets close with the process.
 */
export class SyncWorker implements WorkerLink {
  private readonly words = new Int32Array(new SharedArrayBuffer(STATE_BYTES));
  private readonly requests: MessagePort;
  private readonly events: MessagePort;
  private readonly fate: MessagePort;
  private readonly startedAt = performance.now();
  private ready = false;
  private readonly connections = new Map<number, SyncConnection>();
  /** Answers to connect() and close() by request id, for the ids still awaited (null until it comes). */
  private readonly answers = new Map<number, Answer | null>();
  private nextId = 1;
  private death: WorkerDiedError | null = null;
  private readonly socketThread: SocketThread;
  /** The custody words of connections being opened, by request id. */
  private readonly custodies = new Map<number, Int32Array>();

  constructor(options: SyncWorkerOptions = {}) {
    if (options.socketThread !== undefined && options.socketThread !== 'caller' && options.socketThread !== 'worker') {
      throw new TypeError(`socketThread must be 'caller' or 'worker', not ${String(options.socketThread)}`);
    }
    this.socketThread = options.socketThread ?? 'caller';
    const requests = new MessageChannel();
    const events = new MessageChannel();
    const fate = new MessageChannel();
    this.requests = requests.port1;
    this.events = events.port1;
    this.fate = fate.port1;
    const data: SupervisorData = {
      [THREAD_ROLE]: 'supervisor',
      state: this.words.buffer as SharedArrayBuffer,
      requests: requests.port2,
      events: events.port2,
      fate: fate.port2,
      engineFile: (options.engineFile ?? threadEntry('engine')).href,
      resourceLimits: options.resourceLimits,
    };
    const supervisor = new Worker(threadEntry('supervisor'), {
      workerData: data,
      transferList: [requests.port2, events.port2, fate.port2],
    });
    // Seen only when this thread's event loop runs between calls; a blocked caller learns of deaths from the supervisor.
    supervisor.on('error', (error) => this.die(`its supervisor failed: ${error.message}`));
    supervisor.unref();
    live.add(this);
    if (!exitHookSet) {
      exitHookSet = true;
      // 'exit' handlers may block: what the script sent before it ended (without close()) still goes out.
      process.once('exit', () => {
        const deadline = performance.now() + EXIT_FLUSH_MS;
        for (const worker of live) worker.flush(deadline);
      });
    }
  }

  /** Waits (until the deadline) for every send so far to reach the kernel. */
  private flush(deadline: number): void {
    if (this.connections.size === 0 || this.isDead()) return;
    try {
      const id = this.nextId++;
      this.post({ op: 'flush', id });
      this.answer(id, deadline);
    } catch {
      // The worker died meanwhile: nothing left to flush.
    }
  }

  /**
   * connect(url, timeout=10, headers={}) — or connect(url, { timeout, headers, ...tls }):
   * blocks until the connection is open. Throws what the async binding's
   * connect() rejects with; the timeout holds even if the worker is busy.
   */
  connect(url: string | URL, timeout: number | null | ScriptlingConnectOptions = 10, headers: Record<string, string> = {}): SyncConnection {
    const options: ScriptlingConnectOptions = typeof timeout === 'object' && timeout !== null ? timeout : { timeout, headers };
    this.waitUntilReady();
    const id = this.nextId++;
    const custody = new SharedArrayBuffer(CUSTODY_BYTES);
    try {
      // A URL object cannot be cloned: its href stands for it. Anything else goes as is, for the engine to judge.
      this.post({ op: 'connect', id, url: url instanceof URL ? url.href : url, options, socketThread: this.socketThread, custody });
    } catch (error) {
      // DataCloneError: a function (checkServerIdentity, say) cannot cross to another thread.
      throw new TypeError(`websocket connect failed: the sync API takes options that can be copied to the worker thread (${(error as Error).message})`);
    }
    const waitMs = connectWaitMs(options.timeout);
    this.custodies.set(id, new Int32Array(custody));
    let answer: Answer | null;
    try {
      answer = this.answer(id, performance.now() + waitMs);
    } finally {
      this.custodies.delete(id);
    }
    if (answer === null) {
      this.post({ op: 'drop', conn: id });
      throw new ConnectError(`timed out after ${waitMs / 1000} s`, 'ETIMEDOUT');
    }
    if (answer instanceof SyncConnection) return answer;
    throw reviveError((answer as Extract<Event, { type: 'failed' }>).error);
  }

  /** Waits for the engine to load, so that starting the threads never eats into a connect() timeout. */
  private waitUntilReady(): void {
    if (!this.ready && !this.wait(() => this.ready, this.startedAt + STARTUP_LIMIT_MS)) {
      this.die(`it did not start within ${STARTUP_LIMIT_MS / 1000} s`);
    }
    this.throwIfDead();
  }

  /** @internal close() of a connection: blocks until it is closed. */
  close(conn: number, code: number | undefined, reason: string | undefined): void {
    const id = this.nextId++;
    this.post({ op: 'close', id, conn, code, reason });
    const answer = this.answer(id, Infinity);
    if (answer !== null && !(answer instanceof SyncConnection) && answer.type === 'failed') throw reviveError(answer.error);
  }

  /** @internal */
  post(request: Request, transfer?: ArrayBuffer[]): void {
    this.requests.postMessage(request, transfer);
  }

  /**
   * @internal Takes the worker's events until `done()` holds (true) or the
   * deadline (performance.now() time) passes (false). Throws
   * WorkerDiedError if the worker dies first.
   */
  wait(done: () => boolean, deadline: number): boolean {
    for (;;) {
      // Read the sequence before draining: an event posted after the drain bumps it, and the wait returns at once.
      const seen = Atomics.load(this.words, SEQUENCE);
      this.drain();
      if (done()) return true;
      this.throwIfDead();
      const left = deadline - performance.now();
      if (left <= 0) return false;
      Atomics.wait(this.words, SEQUENCE, seen, Math.min(left, WAIT_SLICE_MS));
    }
  }

  /** @internal Applies every event already posted, without blocking. */
  drain(): void {
    for (let received = receiveMessageOnPort(this.events); received !== undefined; received = receiveMessageOnPort(this.events)) {
      this.dispatch(received.message as Event);
    }
  }

  /** @internal */
  isDead(): boolean {
    if (this.death === null && Atomics.load(this.words, STATUS) === Status.DEAD) {
      const fate = receiveMessageOnPort(this.fate)?.message as Fate | undefined;
      this.die(fate?.message ?? 'it exited');
    }
    return this.death !== null;
  }

  /** @internal */
  throwIfDead(): void {
    if (this.isDead()) throw this.death;
  }

  private die(why: string): void {
    this.death ??= new WorkerDiedError(why);
    live.delete(this);
  }

  private answer(id: number, deadline: number): Answer | null {
    this.answers.set(id, null);
    try {
      this.wait(() => this.answers.get(id) !== null, deadline);
      return this.answers.get(id) ?? null;
    } finally {
      this.answers.delete(id);
    }
  }

  private dispatch(event: Event): void {
    switch (event.type) {
      case 'ready':
        this.ready = true;
        break;
      case 'connected': {
        // A connect() that timed out on this side no longer waits: the worker was told to drop it.
        if (!this.answers.has(event.id)) break;
        // Registered now, not when connect() returns: its first messages (even its end) may be in the same drain.
        const connection = event.handover === null
          ? new WorkerConnection(this, event.id, event.remoteAddress, event.protocol, event.windows)
          : new CallerConnection(this, event.id, event.remoteAddress, event.protocol, event.handover, this.custodies.get(event.id)!);
        this.connections.set(event.id, connection);
        this.answers.set(event.id, connection);
        break;
      }
      case 'failed':
      case 'done':
        if (this.answers.has(event.id)) this.answers.set(event.id, event);
        break;
      case 'end':
      case 'released':
        this.connections.get(event.conn)?.onEvent(event);
        this.connections.delete(event.conn);
        break;
      default:
        this.connections.get(event.conn)?.onEvent(event);
    }
  }
}

/**
 * @internal How long connect() waits for the worker's answer, in ms: the
 * timeout (null: without limit, as the async binding); 10 s when absent. A
 * value the binding refuses gets the default: the worker refuses it at once,
 * word for word as the async binding does.
 */
export function connectWaitMs(timeout: unknown): number {
  let ms = DEFAULT_CONNECT_MS;
  try {
    ms = toMilliseconds(timeout, DEFAULT_CONNECT_MS / 1000, 'connect() timeout');
  } catch {
    // Reported by the worker's connect().
  }
  return ms > 0 ? ms : DEFAULT_CONNECT_MS;
}
