/**
 * The engine thread of the synchronous API: runs the async binding for
 * every connection of one calling thread, and reports to that thread with
 * events (see messages.ts). Started by supervisor.ts, never directly.
 */
import { receiveMessageOnPort, workerData } from 'node:worker_threads';
import { WebSocketConnection, engineConnectOptions, type ScriptlingConnectOptions } from '../scriptling/index.js';
import { handshaken, openWebSocket, type ConnectOptions, type Handshaken } from '../transport/client.js';
import { formatAddress } from '../transport/websocket.js';
import { resolveLimits, type ResolvedLimits } from '../protocol/limits.js';
import { HandedSocket } from './handed-socket.js';
import { LentSocket } from './socket-internals.js';
import type { Message, WebSocket } from '../transport/websocket.js';
import {
  SEQUENCE, SYNC_LIMIT_DEFAULTS, messageCost, ownBytes, serializeError, windowsOf,
  type EngineData, type Event, type Handover, type Request, type SocketThread, type Windows,
} from './messages.js';

const { state, requests, events } = workerData as EngineData;
const sequence = new Int32Array(state);

function emit(event: Event, transfer?: ArrayBuffer[]): void {
  events.postMessage(event, transfer);
  // After the post, so a caller that read the old value and found no event will not sleep through this one.
  Atomics.add(sequence, SEQUENCE, 1);
  Atomics.notify(sequence, SEQUENCE);
}

/** One connection on the engine side: pumps its messages to the caller within the receive window. */
class Link {
  private readonly ws: WebSocket;
  /** Bytes (and per-message overhead) posted to the caller and not yet reported consumed. */
  private unconsumed = 0;
  private resume: (() => void) | null = null;
  private sentUnreported = 0;
  /** True while the pump waits on ws.receive(): a close will end it shortly. */
  private reading = true;
  private onSettled: (() => void) | null = null;

  constructor(readonly id: number, private readonly conn: WebSocketConnection, private readonly windows: Windows) {
    this.ws = conn.engine;
    void this.ws.whenClosed().then(() => emit({ type: 'closed', conn: id }));
    void this.pump();
  }

  private async pump(): Promise<void> {
    for (;;) {
      if (this.unconsumed >= this.windows.receive) {
        this.setReading(false);
        await new Promise<void>((resolve) => (this.resume = resolve));
        this.setReading(true);
      }
      const message = await this.ws.receive();
      if (message === null) break;
      const batch: Array<string | Uint8Array> = [];
      const transfer: ArrayBuffer[] = [];
      this.take(message, batch, transfer);
      // What the engine already holds goes in the same post: one wake-up of the caller per burst, not per message.
      while (this.ws.queuedBytes > 0 && this.unconsumed < this.windows.receive && batch.length < MAX_BATCH) {
        const next = await this.ws.receive(0);
        if (next === null) break;
        this.take(next, batch, transfer);
      }
      emit({ type: 'messages', conn: this.id, data: batch }, transfer);
    }
    emit({ type: 'end', conn: this.id });
    links.delete(this.id);
    this.setReading(false);
  }

  /** Adds a message to the batch as it crosses (text as is, binary in bytes of its own, transferred) and counts it against the window. */
  private take(message: Message, batch: Array<string | Uint8Array>, transfer: ArrayBuffer[]): void {
    if (typeof message === 'string') {
      batch.push(message);
    } else {
      // The engine hands out binary messages as Buffers.
      const bytes = ownBytes(message as Uint8Array);
      batch.push(bytes);
      transfer.push(bytes.buffer as ArrayBuffer);
    }
    this.unconsumed += messageCost(batch[batch.length - 1]);
  }

  private setReading(reading: boolean): void {
    this.reading = reading;
    if (!reading && this.onSettled !== null) {
      this.onSettled();
      this.onSettled = null;
    }
  }

  /** Bytes sent but not yet handed to the kernel. */
  get unwritten(): number {
    return this.ws.bufferedAmount;
  }

  consumed(bytes: number): void {
    this.unconsumed -= bytes;
    if (this.resume !== null && this.unconsumed < this.windows.receive) {
      this.resume();
      this.resume = null;
    }
  }

  send(data: string | Uint8Array): void {
    const cost = messageCost(data);
    this.ws.send(data).then(
      () => this.sent(cost),
      (error: unknown) => {
        this.sent(cost);
        emit({ type: 'sendFailed', conn: this.id, error: serializeError(error) });
      },
    );
  }

  /** Acknowledges sent bytes in batches: the caller only waits once the send window is out. */
  private sent(cost: number): void {
    this.sentUnreported += cost;
    if (this.sentUnreported >= this.windows.send / 2) {
      emit({ type: 'sent', conn: this.id, bytes: this.sentUnreported });
      this.sentUnreported = 0;
    }
  }

  /**
   * Closes, then waits until the pump has either posted its last message
   * and 'end', or is held by the window (unread messages remain, so the
   * caller's connected() is rightly still true): the answer to close()
   * then never overtakes messages the caller could still read.
   */
  async close(code: number | undefined, reason: string | undefined): Promise<void> {
    await this.conn.close(code, reason);
    if (this.reading) await new Promise<void>((resolve) => (this.onSettled = resolve));
  }
}

/** At most this many messages per post, so a long burst still reaches the caller in steps. */
const MAX_BATCH = 64;
const links = new Map<number, Link>();
/** Connections the caller stopped waiting for (connect timed out on its side): close them as soon as they open. */
const dropped = new Set<number>();

/** Connections whose socket the caller runs. */
const handedSockets = new Map<number, HandedSocket>();
/** How often the worker looks for caller-run connections left alone, to answer their Pings meanwhile. */
const CUSTODY_TICK_MS = 100;
let custodyTimer: NodeJS.Timeout | null = null;

function onConnect(id: number, url: unknown, scriptlingOptions: object, socketThread: SocketThread, custody: SharedArrayBuffer): void {
  let options: ConnectOptions;
  let opening: Promise<Handshaken>;
  let windows: Windows;
  let limits: ResolvedLimits;
  try {
    options = engineConnectOptions(scriptlingOptions as ScriptlingConnectOptions, {});
    // The sync entry's one resolution: the handover, the windows and a worker-run engine all take it.
    limits = resolveLimits(options, SYNC_LIMIT_DEFAULTS);
    windows = windowsOf(limits);
    opening = handshaken(url as string, options);
  } catch (error) {
    opening = Promise.reject(error);
  }
  opening.then(
    (opened) => {
      if (dropped.delete(id)) {
        opened.socket.destroy();
        return;
      }
      const remoteAddress = formatAddress(opened.socket.remoteAddress, opened.socket.remotePort);
      // Where the runtime cannot lend the descriptor (TLS, or internals it lacks), the worker runs the socket.
      let handed: HandedSocket | null = null;
      const taken = socketThread === 'caller' ? LentSocket.take(opened.socket, opened.outcome.rest, () => handed?.onHeldDestroy()) : null;
      if (taken === null || 'unavailable' in taken) {
        const conn = new WebSocketConnection(openWebSocket(opened, options, limits));
        emit({ type: 'connected', id, remoteAddress, protocol: conn.engine.protocol, windows, handover: null });
        links.set(id, new Link(id, conn, windows));
        return;
      }
      const { outcome, deflateOptions } = opened;
      const handover: Handover = {
        fd: taken.lent.fd,
        rest: taken.rest,
        deflate: outcome.deflate === null ? null : { params: outcome.deflate, options: deflateOptions ?? {} },
        limits,
      };
      handed = new HandedSocket(id, opened.socket, taken.lent, new Int32Array(custody), emit, { rest: taken.rest, room: windows.receive });
      handedSockets.set(id, handed);
      custodyTimer ??= setInterval(checkCustody, CUSTODY_TICK_MS);
      emit({ type: 'connected', id, remoteAddress, protocol: outcome.protocol, windows, handover });
    },
    (error: unknown) => {
      if (!dropped.delete(id)) emit({ type: 'failed', id, error: serializeError(error) });
    },
  );
}

function checkCustody(): void {
  for (const [id, socket] of handedSockets) {
    if (socket.closed) handedSockets.delete(id);
    else socket.maybeTakeCustody();
  }
  if (handedSockets.size === 0 && custodyTimer !== null) {
    clearInterval(custodyTimer);
    custodyTimer = null;
  }
}

function onClose(id: number, conn: number, code: number | undefined, reason: string | undefined): void {
  const link = links.get(conn);
  // Already ended and forgotten: close() is idempotent.
  if (link === undefined) return emit({ type: 'done', id });
  link.close(code, reason).then(
    () => emit({ type: 'done', id }),
    (error: unknown) => emit({ type: 'failed', id, error: serializeError(error) }),
  );
}

/**
 * Requests are handled in order, so every earlier send is already in the
 * engine; this waits until the sockets have taken it (the caller bounds how
 * long it waits for the answer).
 */
async function flush(): Promise<void> {
  const unwritten = () => [...links.values(), ...handedSockets.values()].some((link) => link.unwritten > 0);
  while (unwritten()) await new Promise((resolve) => setTimeout(resolve, 1));
}

function handle(request: Request): void {
  switch (request.op) {
    case 'send':
      // A link that has ended is closed: the caller learns that from its 'closed' event.
      links.get(request.conn)?.send(request.data);
      break;
    case 'consumed':
      links.get(request.conn)?.consumed(request.bytes);
      break;
    case 'connect':
      onConnect(request.id, request.url, request.options, request.socketThread, request.custody);
      break;
    case 'watch':
      handedSockets.get(request.conn)?.watch();
      break;
    case 'unwatch':
      handedSockets.get(request.conn)?.unwatch();
      break;
    case 'yield':
      handedSockets.get(request.conn)?.yield();
      break;
    case 'write':
      handedSockets.get(request.conn)?.write(request.data);
      break;
    case 'release':
      handedSockets.get(request.conn)?.release(request.waitMs);
      break;
    case 'close':
      onClose(request.id, request.conn, request.code, request.reason);
      break;
    case 'flush':
      void flush().then(() => emit({ type: 'done', id: request.id }));
      break;
    case 'drop': {
      const link = links.get(request.conn);
      const socket = handedSockets.get(request.conn);
      if (link !== undefined) void link.close(undefined, undefined);
      else if (socket !== undefined) socket.drop();
      else dropped.add(request.conn);
      break;
    }
  }
}

requests.on('message', (request: Request) => {
  handle(request);
  // A burst of sends is many messages: take the rest now, so they cost no event each and go out in one write.
  for (let next = receiveMessageOnPort(requests); next !== undefined; next = receiveMessageOnPort(requests)) handle(next.message as Request);
});

emit({ type: 'ready' });
