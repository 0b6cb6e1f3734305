import net from 'node:net';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { WebSocketServer, type ServerOptions } from '../src/transport/server.js';
import type { WebSocket } from '../src/transport/websocket.js';
import { acceptKey } from '../src/protocol/handshake.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const fixture = (name: string): string => readFileSync(join(ROOT, 'fixtures', name), 'utf8');

/** An echo handler on the engine API: text stays text, binary stays binary. */
export async function echo(ws: WebSocket): Promise<void> {
  for (;;) {
    const message = await ws.receive();
    if (message === null) return;
    await ws.send(message as string | Buffer).catch(() => {});
  }
}

export async function startServer(
  routes: Record<string, (ws: WebSocket) => unknown> = { '/': echo },
  options: ServerOptions = {},
): Promise<{ server: WebSocketServer; port: number; url: string }> {
  const server = new WebSocketServer({ onError: () => {}, ...options });
  for (const [path, handler] of Object.entries(routes)) server.route(path, handler);
  const { port } = await server.listen(0, '127.0.0.1');
  return { server, port, url: `${options.tls ? 'wss' : 'ws'}://127.0.0.1:${port}` };
}

let certificate: { key: Buffer; cert: Buffer } | null = null;

/** A self-signed certificate for localhost/127.0.0.1, made by openssl once per test process. */
export function testCertificate(): { key: Buffer; cert: Buffer } {
  if (certificate) return certificate;
  const dir = mkdtempSync(join(tmpdir(), 'sws-cert-'));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ], { stdio: 'ignore' });
  certificate = { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  return certificate;
}

/** Builds one frame by hand, masked when `mask` is given (client → server). */
export function frame(firstByte: number, payload: Buffer | string, mask?: Buffer | null, lengthOverride?: number): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const length = lengthOverride ?? data.length;
  const ext = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const header = Buffer.alloc(2 + ext + (mask ? 4 : 0));
  header[0] = firstByte;
  header[1] = (ext === 0 ? length : ext === 2 ? 126 : 127) | (mask ? 0x80 : 0);
  if (ext === 2) header.writeUInt16BE(length, 2);
  if (ext === 8) header.writeBigUInt64BE(BigInt(length), 2);
  if (!mask) return Buffer.concat([header, data]);
  mask.copy(header, 2 + ext);
  const masked = Buffer.from(data);
  for (let i = 0; i < masked.length; i++) masked[i] ^= mask[i & 3];
  return Buffer.concat([header, masked]);
}

/** A client-side frame with a random mask. */
export const clientFrame = (firstByte: number, payload: Buffer | string): Buffer => frame(firstByte, payload, randomBytes(4));

export const closeBody = (code: number, reason = ''): Buffer => {
  const b = Buffer.alloc(2 + Buffer.byteLength(reason));
  b.writeUInt16BE(code, 0);
  b.write(reason, 2);
  return b;
};

/** What a raw peer read: the frames it got, and whether the TCP connection was closed. */
export interface Frame {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  payload: Buffer;
}

/** Parses frames (unmasking if needed) from a byte stream; returns the parsed frames and leftover bytes. */
export function parseFrames(data: Buffer): { frames: Frame[]; rest: Buffer } {
  const frames: Frame[] = [];
  let i = 0;
  while (data.length - i >= 2) {
    const b0 = data[i];
    const b1 = data[i + 1];
    let len = b1 & 0x7f;
    let p = i + 2;
    if (len === 126) {
      if (data.length < p + 2) break;
      len = data.readUInt16BE(p);
      p += 2;
    } else if (len === 127) {
      if (data.length < p + 8) break;
      len = Number(data.readBigUInt64BE(p));
      p += 8;
    }
    const masked = (b1 & 0x80) !== 0;
    const key = masked ? data.subarray(p, p + 4) : null;
    if (masked) p += 4;
    if (data.length < p + len) break;
    const payload = Buffer.from(data.subarray(p, p + len));
    if (key) for (let j = 0; j < payload.length; j++) payload[j] ^= key[j & 3];
    frames.push({ fin: (b0 & 0x80) !== 0, rsv1: (b0 & 0x40) !== 0, opcode: b0 & 0x0f, payload });
    i = p + len;
  }
  return { frames, rest: data.subarray(i) };
}

/**
 * A hand-driven peer over a real socket: performs (or skips) the handshake
 * and exchanges raw bytes, so tests can send what no well-behaved library would.
 */
export class RawPeer {
  private buffer = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  ended = false;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  static async connect(port: number): Promise<RawPeer> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new RawPeer(socket);
  }

  /** Connects and completes a client handshake with `extra` request lines; returns the response head. */
  static async handshake(port: number, path = '/', extra = ''): Promise<{ peer: RawPeer; head: string }> {
    const peer = await RawPeer.connect(port);
    const key = randomBytes(16).toString('base64');
    peer.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`);
    const head = await peer.readHead();
    if (!head.startsWith('HTTP/1.1 101') || !head.includes(`Sec-WebSocket-Accept: ${acceptKey(key)}`)) throw new Error(`handshake refused: ${head}`);
    return { peer, head };
  }

  write(data: Buffer | string): void {
    this.socket.write(data);
  }

  /** Waits until `predicate` (about what this peer received) holds, re-checking on each arrival and at the end of the stream. */
  async until(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
    if (predicate()) return;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timed out waiting for the peer')), timeoutMs);
    });
    try {
      while (!predicate()) await Promise.race([new Promise<void>((resolve) => this.waiters.push(resolve)), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  async readHead(): Promise<string> {
    await this.until(() => this.buffer.includes('\r\n\r\n') || this.ended);
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end === -1) return this.buffer.toString('latin1');
    const head = this.buffer.toString('latin1', 0, end);
    this.buffer = this.buffer.subarray(end + 4);
    return head;
  }

  /** Everything received until the peer closes TCP (or the timeout). */
  async readAll(timeoutMs = 5000): Promise<Buffer> {
    await this.until(() => this.ended, timeoutMs);
    return this.buffer;
  }

  /** Waits for `count` frames and returns them (consumed). */
  async readFrames(count: number, timeoutMs = 5000): Promise<Frame[]> {
    await this.until(() => parseFrames(this.buffer).frames.length >= count || this.ended, timeoutMs);
    const { frames } = parseFrames(this.buffer);
    let consumed = 0;
    // Re-parse only the frames we return, keep the rest buffered.
    const all = parseFrames(this.buffer);
    const taken = all.frames.slice(0, count);
    for (const f of taken) consumed += frameSize(f, this.buffer.subarray(consumed));
    this.buffer = this.buffer.subarray(consumed);
    return frames.slice(0, count);
  }

  /** Reads frames until a Close frame arrives and TCP closes; returns all frames and the close code. */
  async readUntilClosed(timeoutMs = 5000): Promise<{ frames: Frame[]; closeCode: number | null; closed: boolean }> {
    await this.until(() => this.ended, timeoutMs).catch(() => {});
    const { frames } = parseFrames(this.buffer);
    const close = frames.find((f) => f.opcode === 0x8);
    const closeCode = close && close.payload.length >= 2 ? close.payload.readUInt16BE(0) : null;
    return { frames, closeCode, closed: this.ended };
  }

  close(): void {
    this.socket.destroy();
  }
}

function frameSize(_f: Frame, data: Buffer): number {
  const b1 = data[1];
  let len = b1 & 0x7f;
  let p = 2;
  if (len === 126) {
    len = data.readUInt16BE(2);
    p = 4;
  } else if (len === 127) {
    len = Number(data.readBigUInt64BE(2));
    p = 10;
  }
  if (b1 & 0x80) p += 4;
  return p + len;
}

/** A raw server that accepts one TCP connection and lets the test script its answers. */
export async function rawServer(onConnection: (socket: net.Socket, request: string) => void): Promise<{ port: number; close: () => void }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    let buffer = '';
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      if (buffer.includes('\r\n\r\n')) {
        socket.removeListener('data', onData);
        onConnection(socket, buffer);
      }
    };
    socket.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

/** The Sec-WebSocket-Key from a raw request head. */
export const requestKey = (request: string): string => /Sec-WebSocket-Key: (\S+)/i.exec(request)![1];

export const switching = (key: string, extra = ''): string =>
  `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(key)}\r\n${extra}\r\n`;

/** One turn of the event loop, I/O included (setImmediate runs after the poll phase). */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Resolves once `predicate()` holds, checking it after every event-loop
 * turn: a wait on the event itself instead of a guessed sleep. Rejects after
 * `timeoutMs`, naming `what`.
 */
export async function waitFor(predicate: () => boolean, { timeoutMs = 5000, what = 'a condition' } = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await nextTurn();
  }
}

/**
 * Resolves once `read()` has returned the same value for `turns`
 * consecutive event-loop turns, each with its I/O poll: e.g. a flooding
 * peer's unsent bytes stop shrinking because the other side stopped reading.
 */
export async function steady(read: () => number, { turns = 50, timeoutMs = 10_000, what = 'a steady value' } = {}): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let value = read();
  for (let same = 0; same < turns; same++) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await nextTurn();
    const now = read();
    if (now !== value) {
      value = now;
      same = -1;
    }
  }
  return value;
}

/**
 * `promise`'s value, or a rejection naming `what` once `timeoutMs` have
 * passed: a test that waits on an event fails with a message instead of
 * hanging until the runner's limit.
 */
export async function bounded<T>(promise: Promise<T>, { timeoutMs = 5000, what = 'a promise' } = {}): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether `promise` settles within `turns` event-loop turns (I/O included): e.g. a send() that TCP holds back does not. */
export async function settlesWithin(promise: Promise<unknown>, turns = 20): Promise<boolean> {
  let settled = false;
  promise.then(() => (settled = true), () => (settled = true));
  for (let i = 0; i < turns && !settled; i++) await nextTurn();
  return settled;
}

/** Runs `fn` with console.log silenced (the fuzzer prints its progress there). */
export async function quiet<T>(fn: () => Promise<T>): Promise<T> {
  const log = console.log;
  console.log = () => {};
  try {
    return await fn();
  } finally {
    console.log = log;
  }
}

/** A port free on 127.0.0.1 right now (for a program that must be given one, such as tinyproxy or redis-server). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
