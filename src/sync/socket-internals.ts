/**
 * The one place that touches Node's socket internals: the TCP handle of a
 * `net.Socket` (`_handle`: its descriptor `fd`, `readStart`, `readStop`,
 * `reading`) and the socket's `_destroy`. They are what lets the calling
 * thread run a ws:// socket itself (SocketThread 'caller'). They are not
 * public API: another runtime (Bun 1.x has no `handle.readStop`) or a later
 * Node may lack or change them, so every one is checked before the first
 * is used, and a socket whose runtime lacks any is simply not handed over:
 * the worker runs it (SocketThread 'worker'), as it runs wss://.
 */
import { TLSSocket } from 'node:tls';
import type { Socket } from 'node:net';

/** The part of Node's TCP handle used here. */
interface StreamHandle {
  fd: number;
  reading: boolean;
  readStart(): number;
  readStop(): number;
}

type Destroy = (error: Error | null, callback: (error?: Error | null) => void) => void;

/** Set by tests to act as a runtime without the internals: the reason given. */
let forcedUnavailable: string | null = null;

/** @internal For tests: makes every later hand-over report `why` (null: back to checking the runtime). */
export function forceInternalsUnavailable(why: string | null): void {
  forcedUnavailable = why;
}

/**
 * Why this socket's descriptor cannot be handed to the calling thread, or
 * null when it can: TLS (only this thread can decrypt its bytes), or an
 * internal this runtime lacks (named, for the report).
 */
export function whyNotHandable(socket: Socket): string | null {
  if (socket instanceof TLSSocket) return 'TLS is decrypted on the worker thread';
  if (forcedUnavailable !== null) return forcedUnavailable;
  const handle = (socket as unknown as { _handle?: Partial<StreamHandle> | null })._handle;
  if (handle === null || typeof handle !== 'object') return 'the socket has no _handle';
  if (typeof handle.fd !== 'number') return 'its handle has no fd';
  if (handle.fd < 0) return 'its handle has no open descriptor';
  if (typeof handle.readStart !== 'function') return 'handle.readStart is not a function';
  if (typeof handle.readStop !== 'function') return 'handle.readStop is not a function';
  if (typeof handle.reading !== 'boolean') return 'handle.reading is not a boolean';
  if (typeof (socket as unknown as { _destroy?: unknown })._destroy !== 'function') return 'socket._destroy is not a function';
  return null;
}

/**
 * A socket whose reading this module switches on and off, and whose
 * descriptor stays open until it is let go: what the worker needs to lend
 * the descriptor to the calling thread.
 */
export class LentSocket {
  private heldDestroy: (() => void) | null = null;
  private holding = true;

  private constructor(
    private readonly socket: Socket,
    private readonly handle: StreamHandle,
    private readonly onDestroyHeld: () => void,
  ) {}

  /**
   * Stops Node reading a freshly handshaken socket and returns it with every
   * byte read past the handshake, or the reason it cannot be lent (see
   * `whyNotHandable`); nothing is changed then.
   */
  static take(socket: Socket, rest: Buffer, onDestroyHeld: () => void): { lent: LentSocket; rest: Buffer } | { unavailable: string } {
    const why = whyNotHandable(socket);
    if (why !== null) return { unavailable: why };
    const handle = (socket as unknown as { _handle: StreamHandle })._handle;
    // Node restarts a handle only when it believes it stopped: from here the socket reads when this module says so.
    handle.reading = true;
    handle.readStop();
    // At the peer's FIN Node would end and close the socket, closing the descriptor the caller may be about to
    // read (a number the process could reuse at once): it stays open until the caller releases it.
    socket.allowHalfOpen = true;
    const chunks = [rest];
    for (let chunk = socket.read() as Buffer | null; chunk !== null; chunk = socket.read() as Buffer | null) chunks.push(chunk);
    const lent = new LentSocket(socket, handle, onDestroyHeld);
    lent.holdDestroy();
    return { lent, rest: chunks.length === 1 ? rest : Buffer.concat(chunks) };
  }

  get fd(): number {
    return this.handle.fd;
  }

  /** Reads the next chunks into 'data' events (the socket is flowing). */
  startReading(): void {
    this.handle.readStart();
  }

  stopReading(): void {
    this.handle.readStop();
  }

  /** Node destroyed the socket (a read or write error) and its descriptor waits for `letGo()`. */
  get destroyHeld(): boolean {
    return this.heldDestroy !== null;
  }

  /**
   * The descriptor may close now: a destroy held back runs at once (its
   * 'close' follows), and later ones are no longer held.
   */
  letGo(): boolean {
    this.holding = false;
    const run = this.heldDestroy;
    this.heldDestroy = null;
    run?.();
    return run !== null;
  }

  /**
   * Node destroys a socket at a read or write error, closing its descriptor
   * at once, while the caller may be about to read or write that number
   * (which the process could reuse): until `letGo()` the destroy is held,
   * and the owner is told instead (`onDestroyHeld`: for it, the stream ended).
   */
  private holdDestroy(): void {
    const socket = this.socket as Socket & { _destroy: Destroy };
    const destroy = socket._destroy;
    socket._destroy = (error, callback) => {
      const run = () => destroy.call(socket, error, callback);
      if (!this.holding) return run();
      this.heldDestroy = run;
      this.onDestroyHeld();
    };
  }
}
