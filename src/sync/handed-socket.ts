/**
 * The worker's part of a connection whose socket the calling thread runs
 * (SocketThread 'caller', see messages.ts). The caller reads and writes the
 * socket's file descriptor itself; this side only moves bytes when the
 * caller cannot: it reads the next chunk while the caller sleeps ('watch'),
 * writes what the kernel did not take at once ('write'), answers Pings
 * while the caller is away ('custody'), and ends the TCP connection.
 */
import type { Socket } from 'node:net';
import { PingAnswerer } from '../protocol/ping-answerer.js';
import { ownBytes, type Event } from './messages.js';
import { Custody, entriesSince, move, room, startWithWorker } from './custody.js';
import type { LentSocket } from './socket-internals.js';

type Emit = (event: Event, transfer?: ArrayBuffer[]) => void;

export class HandedSocket {
  private mode: 'idle' | 'watch' | 'custody' | 'release' = 'idle';
  private answerer: PingAnswerer | null = null;
  /** Bytes read in custody: reading stops when they fill the room the caller left (ROOM) until it is back. */
  private forwarded = 0;
  private ended = false;
  /** Writes of ours not yet completed: the caller's overflow and our Pongs. */
  private inflight = 0;
  private writeRequestsDone = 0;
  private releaseTimer: NodeJS.Timeout | null = null;
  /** The caller's ENTRIES count at the last custody check: custody starts only after a whole tick without a call. */
  private lastEntries = -1;

  /**
   * Starts in custody, reading and answering Pings from the moment the
   * caller's connect() returns (it may not call again for a while): `rest`,
   * the bytes read past the handshake (which the caller gets in the
   * handover), comes first; `room` is the caller's receive window.
   */
  constructor(
    readonly id: number,
    private readonly socket: Socket,
    private readonly lent: LentSocket,
    private readonly custody: Int32Array,
    private readonly emit: Emit,
    start: { rest: Buffer; room: number },
  ) {
    socket.on('data', (chunk: Buffer) => this.onChunk(chunk));
    socket.on('end', () => this.onEnd());
    socket.on('error', () => {}); // seen as the end of the stream (below): the caller's protocol makes it 1006
    socket.on('close', () => this.onClosed());
    // A read or write error ends the stream for us (the LentSocket holds Node's destroy until release: onHeldDestroy).
    // Flowing: a chunk is a 'data' event whenever the handle reads, which is only when we start it.
    socket.resume();
    startWithWorker(custody, start.room);
    this.mode = 'custody';
    this.answerer = new PingAnswerer();
    this.forwarded = start.rest.length;
    this.answer(this.answerer.receiveData(start.rest));
    if (this.forwarded < start.room) this.lent.startReading();
  }

  /** Bytes handed to this thread to write and not yet in the kernel (none once the socket failed: they never will be). */
  get unwritten(): number {
    return this.lent.destroyHeld ? 0 : this.socket.writableLength;
  }

  watch(): void {
    if (this.ended) {
      this.emit({ type: 'read', conn: this.id, chunks: [], end: true, watchEnded: true });
      return;
    }
    this.mode = 'watch';
    this.lent.startReading();
  }

  unwatch(): void {
    if (this.mode === 'watch') this.stop('idle');
    this.emit({ type: 'unwatched', conn: this.id });
  }

  /**
   * Takes custody if the caller left it free at a frame boundary, with room
   * for more messages, has made no call for a whole tick, and none of our
   * writes is pending (its Pongs would queue behind them).
   */
  maybeTakeCustody(): void {
    const { entries, idle } = entriesSince(this.custody, this.lastEntries);
    this.lastEntries = entries;
    if (!idle || this.mode !== 'idle' || this.ended || this.inflight > 0 || room(this.custody) <= 0) return;
    if (!move(this.custody, 'worker', Custody.FREE_AT_BOUNDARY, Custody.WORKER)) return;
    this.mode = 'custody';
    this.answerer = new PingAnswerer();
    this.forwarded = 0;
    this.lent.startReading();
  }

  /** Hands custody back at once; `writing` tells the caller to write through us until our Pongs are out. */
  yield(): void {
    if (this.mode === 'custody') this.stop('idle');
    this.answerer = null;
    move(this.custody, 'worker', Custody.WORKER, Custody.FREE);
    this.emit({ type: 'yielded', conn: this.id, writing: this.inflight > 0 });
  }

  /** One of our writes is complete; `requests`: it was the caller's (else a Pong of ours). */
  private writeDone(requests: number, bytes: number, error?: Error | null): void {
    this.inflight--;
    this.writeRequestsDone += requests;
    const failed = error != null || this.lent.destroyHeld;
    this.emit({ type: 'written', conn: this.id, through: this.writeRequestsDone, bytes, idle: this.inflight === 0, failed });
  }

  write(data: Uint8Array[]): void {
    let bytes = 0;
    for (const chunk of data) bytes += chunk.length;
    this.inflight++;
    const done = (error?: Error | null) => this.writeDone(1, bytes, error);
    if (this.socket.destroyed) return done(new Error('the socket is closed'));
    for (let i = 0; i < data.length - 1; i++) this.socket.write(data[i]);
    this.socket.write(data[data.length - 1] ?? Buffer.alloc(0), done);
  }

  release(waitMs: number): void {
    this.stop('release');
    this.answerer = null;
    if (this.lent.letGo()) return; // a destroy held back ran: 'close' follows, and with it 'released'
    if (this.socket.destroyed) {
      this.emit({ type: 'released', conn: this.id });
      return;
    }
    if (waitMs > 0 && Number.isFinite(waitMs)) this.releaseTimer = setTimeout(() => this.socket.destroy(), waitMs);
    if (!(waitMs > 0)) {
      this.socket.destroy();
    } else if (this.ended) {
      // The server has closed; what we still owe it (our Close frame, if the kernel did not take it at once) goes first.
      if (this.socket.writableLength > 0) this.socket.end();
      else this.socket.destroy();
    } else {
      // §7.1.1: the client waits for the server to close the TCP connection, within bounds.
      this.lent.startReading();
    }
  }

  /** The caller gave up on this connection before it saw it open. */
  drop(): void {
    this.release(0);
  }

  private stop(mode: HandedSocket['mode']): void {
    if (this.mode === 'watch' || this.mode === 'custody') this.lent.stopReading();
    this.mode = mode;
  }

  private onChunk(chunk: Buffer): void {
    switch (this.mode) {
      case 'watch':
        this.stop('idle');
        this.forward(chunk, true);
        break;
      case 'custody': {
        this.answer(this.answerer!.receiveData(chunk));
        // Counted before forwarding: the transfer detaches the chunk (its length reads 0 after).
        this.forwarded += chunk.length;
        this.forward(chunk, false);
        // Stays in custody, not reading: the caller's next call takes it back.
        if (this.forwarded >= room(this.custody)) this.lent.stopReading();
        break;
      }
      case 'release':
        break; // the protocol is over: what the server still sends is dropped
      default:
        // Reading only starts in the modes above; a chunk here would be a Node change. Keep it, in order.
        this.forward(chunk, false);
    }
  }

  /** Writes the Pongs for Pings read in custody. Behind writes of the caller's, a Pong waits for the caller to answer (its protocol sees the Ping again). */
  private answer(pongs: Buffer[]): void {
    if (pongs.length === 0 || this.inflight > 0) return;
    this.inflight++;
    for (let i = 0; i < pongs.length - 1; i++) this.socket.write(pongs[i]);
    this.socket.write(pongs[pongs.length - 1], () => this.writeDone(0, 0));
  }

  private forward(chunk: Buffer, watchEnded: boolean): void {
    const bytes = ownBytes(chunk);
    this.emit({ type: 'read', conn: this.id, chunks: [bytes], end: false, watchEnded }, [bytes.buffer as ArrayBuffer]);
  }

  /** Node destroyed the socket after an error; its descriptor stays open until release (see LentSocket). */
  onHeldDestroy(): void {
    this.onEnd();
  }

  private onEnd(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.mode === 'release') {
      this.socket.destroy();
      return;
    }
    const watchEnded = this.mode === 'watch';
    if (watchEnded) this.stop('idle'); // an error's end comes with the handle still reading
    this.emit({ type: 'read', conn: this.id, chunks: [], end: true, watchEnded });
  }

  private onClosed(): void {
    this.onEnd();
    if (this.releaseTimer !== null) clearTimeout(this.releaseTimer);
    if (this.mode === 'release') this.emit({ type: 'released', conn: this.id });
  }

  /** Whether the socket is closed for good: the worker forgets it. */
  get closed(): boolean {
    return this.mode === 'release' && this.socket.destroyed;
  }
}
