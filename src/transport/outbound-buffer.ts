/** What the buffer writes to: a net.Socket, or a fake in tests. */
export interface Writer {
  readonly writableLength: number;
  readonly writable: boolean;
  readonly destroyed: boolean;
  readonly errored: Error | null;
  /** `callback` runs once the chunk is handed to the OS (with an error if it never will be). */
  write(chunk: Uint8Array, callback?: (error?: Error | null) => void): boolean;
  /** Between cork and uncork, writes are gathered into one writev. */
  cork(): void;
  uncork(): void;
  once(event: 'drain', listener: () => void): unknown;
}

/** Where the frames to send come from (the protocol Connection). */
export interface FrameSource {
  takeOutgoing(): Buffer[];
}

export interface OutboundLimits {
  /** Unwritten bytes beyond which sends wait for the writer to drain. */
  highWaterMark: number;
  /** Unwritten bytes beyond which reading pauses (see InboundQueue): 'drain' is then watched to resume it. */
  backlogLimit: number;
}

/** Told after each flush and each 'drain': the writer's backlog may have changed (the InboundQueue). */
export interface BacklogListener {
  updateReading(): void;
}

/** A send waiting for the writer to drain, or for its bytes to be written. */
interface DrainWaiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

const RESOLVED = Promise.resolve();
/** Frames below this size are joined with their neighbours into blocks of up to COALESCE_BLOCK bytes. */
export const COALESCE_LIMIT = 16 * 1024;
export const COALESCE_BLOCK = 64 * 1024;

/**
 * The frames on their way to the socket: batched per tick and written in
 * as few writes as is cheap; sends wait for 'drain' beyond the high-water
 * mark and fail with the close reason if the connection ends first.
 */
export class OutboundBuffer {
  private pending: Buffer[] | null = null;
  private pendingBytes = 0;
  private flushScheduled = false;
  private drainWaiters: DrainWaiter[] | null = null;
  /** Sends of lent buffers in the batch not yet written: they resolve when the write that carries them completes. */
  private lentWaiters: DrainWaiter[] | null = null;
  /** Batches of lent sends handed to the writer, oldest first: writes complete in order. */
  private writing: DrainWaiter[][] | null = null;
  /** Made on the first lent send (an idle connection has none): one function for every write that needs it. */
  private writtenCallback: ((error?: Error | null) => void) | null = null;
  private drainListening = false;
  private closed = false;
  private readonly highWaterMark: number;
  private readonly backlogLimit: number;

  constructor(
    private readonly writer: Writer,
    private readonly source: FrameSource,
    limits: OutboundLimits,
    private readonly listener: BacklogListener,
  ) {
    this.highWaterMark = limits.highWaterMark;
    this.backlogLimit = limits.backlogLimit;
  }

  /** Bytes sent but not yet handed to the kernel. */
  get bufferedAmount(): number {
    return this.pendingBytes + this.writer.writableLength;
  }

  /** True when a send now would wait for the writer to drain. */
  get sendWaits(): boolean {
    return this.bufferedAmount > this.highWaterMark;
  }

  /**
   * Takes the source's frames and writes them on the next tick, with
   * whatever else is sent in this one. Resolves at once under the
   * high-water mark, else once the writer has drained below it.
   */
  flushSoon(): Promise<void> {
    this.scheduleFlush();
    if (!this.sendWaits || this.closed) return RESOLVED;
    return new Promise((resolve, reject) => {
      (this.drainWaiters ??= []).push({ resolve, reject });
      this.watchDrain();
    });
  }

  /**
   * Like `flushSoon`, for a send whose frame holds the caller's buffer by
   * reference (a lent buffer): resolves once the write that carries it has
   * completed — the bytes are with the OS and the caller may reuse its
   * buffer — and rejects with `reason()` of `close` if the connection ends
   * first. Its own wait replaces the high-water mark's: a write completes
   * only as fast as the OS takes the bytes.
   */
  flushLent(): Promise<void> {
    this.scheduleFlush();
    if (this.closed) return RESOLVED;
    return new Promise((resolve, reject) => {
      (this.lentWaiters ??= []).push({ resolve, reject });
    });
  }

  private scheduleFlush(): void {
    this.take();
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(flushTick, this);
    }
  }

  /** Writes everything pending now, in as few writes as is cheap. */
  flush(): void {
    this.take();
    const chunks = this.pending;
    const total = this.pendingBytes;
    this.flushScheduled = false;
    if (chunks === null) return;
    this.pending = null;
    this.pendingBytes = 0;
    const writer = this.writer;
    const lent = this.lentWaiters;
    this.lentWaiters = null;
    // Waiters whose bytes are never written (a dead socket) stay in `writing` for `close` to reject.
    if (lent !== null) (this.writing ??= []).push(lent);
    if (this.closed || writer.destroyed || !writer.writable) return;
    const written = lent === null ? undefined : (this.writtenCallback ??= (error) => this.written(error));
    if (chunks.length === 1) {
      writer.write(chunks[0], written);
    } else if (total <= COALESCE_LIMIT) {
      writer.write(Buffer.concat(chunks, total), written);
    } else {
      // One writev for the lot: a large payload goes out behind its header, neither copied.
      writer.cork();
      writeCoalesced(writer, chunks, written);
      writer.uncork();
    }
    if (this.drainWaiters !== null && writer.writableLength <= this.highWaterMark) this.onDrain();
    if (writer.writableLength > this.backlogLimit) this.watchDrain();
    this.listener.updateReading();
  }

  /** The last write of a flush with lent buffers completed: that batch's sends resolve. */
  private written(error: Error | null | undefined): void {
    // A failed write ends the connection: `close` rejects the batch with the close code and reason.
    if (error != null || this.closed) return;
    const batch = this.writing?.shift();
    if (this.writing?.length === 0) this.writing = null;
    if (batch !== undefined) for (const waiter of batch) waiter.resolve();
  }

  /** One 'drain' listener at a time, only while someone waits for it. */
  watchDrain(): void {
    if (this.drainListening) return;
    this.drainListening = true;
    this.writer.once('drain', () => {
      this.drainListening = false;
      this.listener.updateReading();
      this.onDrain();
    });
  }

  /**
   * The connection has ended: nothing more is written, and sends still
   * waiting for 'drain' never happened, so they reject with `reason()`.
   */
  close(reason: () => Error): void {
    this.closed = true;
    this.pending = null;
    this.pendingBytes = 0;
    const waiters = [...(this.drainWaiters ?? []), ...(this.writing ?? []).flat(), ...(this.lentWaiters ?? [])];
    this.drainWaiters = null;
    this.writing = null;
    this.lentWaiters = null;
    if (waiters.length === 0) return;
    const error = reason();
    for (const waiter of waiters) waiter.reject(error);
  }

  private take(): void {
    const out = this.source.takeOutgoing();
    if (out.length === 0) return;
    const pending = (this.pending ??= []);
    for (let i = 0; i < out.length; i++) {
      pending.push(out[i]);
      this.pendingBytes += out[i].length;
    }
  }

  private onDrain(): void {
    const waiters = this.drainWaiters;
    // A failed or destroyed socket's buffer is empty because it was thrown away: those sends fail on close.
    if (waiters === null || this.writer.destroyed || this.writer.errored !== null) return;
    if (this.writer.writableLength > this.highWaterMark) {
      this.watchDrain();
      return;
    }
    this.drainWaiters = null;
    for (const waiter of waiters) waiter.resolve();
  }
}

function flushTick(buffer: OutboundBuffer): void {
  buffer.flush();
}

/**
 * Runs of small frames are joined into blocks (a writev of thousands of
 * tiny buffers costs more than copying them); large frames go as they are.
 */
function writeCoalesced(writer: Writer, chunks: Buffer[], written: ((error?: Error | null) => void) | undefined): void {
  let runStart = 0;
  let runBytes = 0;
  for (let i = 0; i < chunks.length; i++) {
    const size = chunks[i].length;
    if (size < COALESCE_LIMIT && runBytes + size <= COALESCE_BLOCK) {
      runBytes += size;
      continue;
    }
    writeRun(writer, chunks, runStart, i, runBytes, undefined);
    if (size >= COALESCE_LIMIT) {
      writer.write(chunks[i], i === chunks.length - 1 ? written : undefined);
      runStart = i + 1;
      runBytes = 0;
    } else {
      runStart = i;
      runBytes = size;
    }
  }
  writeRun(writer, chunks, runStart, chunks.length, runBytes, written);
}

/** Writes chunks[start..end) as one buffer: itself if alone, else a copy of all of them. */
function writeRun(writer: Writer, chunks: Buffer[], start: number, end: number, bytes: number, written: ((error?: Error | null) => void) | undefined): void {
  if (end - start === 1) {
    writer.write(chunks[start], written);
  } else if (end > start) {
    const block = Buffer.allocUnsafe(bytes);
    let offset = 0;
    for (let i = start; i < end; i++) {
      block.set(chunks[i], offset);
      offset += chunks[i].length;
    }
    writer.write(block, written);
  }
}
