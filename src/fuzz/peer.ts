import type { Socket } from 'node:net';
import { ChunkReader } from '../protocol/reader.js';
import { applyMask, randomMaskKey } from '../protocol/mask.js';
import { Utf8Validator } from '../protocol/utf8.js';
import { CloseCode } from '../protocol/close-codes.js';
import { WebSocketError } from '../protocol/errors.js';
import type { PerMessageDeflate } from '../protocol/deflate.js';
import { DEFAULT_WIRE_LOG_LIMITS, WireLog, type WireLogLimits } from './wire-log.js';
import { encodeRawFrame, type RawFrame } from './raw-frame.js';

export type PeerState = 'open' | 'closing' | 'closed';

/** What the case being played hears from the peer. */
export interface PeerListener {
  onMessage(payload: Buffer, binary: boolean): void;
  onPong(payload: Buffer): void;
  onConnectionLost(): void;
}

export interface PeerOptions {
  /** Seconds we wait for the Close reply after sending a Close (the suite: 1). */
  closeHandshake?: number;
  /** Seconds a client waits for the server to drop TCP after the closing handshake (the suite: 1). */
  serverConnectionDrop?: number;
  /**
   * Largest message we take from the peer, in octets; past it we fail with
   * 1009. The suite has no limit; the biggest case echoes 16 MiB, so 64 MiB
   * only stops a peer that streams without end from filling our memory.
   */
  maxMessageSize?: number;
  /** How much of the wire log each case keeps (first and last octets). */
  wireLog?: WireLogLimits;
  /**
   * Messages and Pongs a case may receive. The most any case expects is
   * 1,000 round trips; a peer flooding frames is FAILED past this.
   */
  maxEvents?: number;
  /** Payload octets a case may receive in all (held for judging): 4 × the largest message by default. */
  maxReceivedOctets?: number;
  /**
   * Octets we may have queued for a peer that does not read (our Pongs to
   * its Ping flood, the echo of its messages): past it the case is FAILED.
   */
  maxWriteBuffer?: number;
}

const MIB = 1024 * 1024;
const DEFAULTS: Required<PeerOptions> = {
  closeHandshake: 1,
  serverConnectionDrop: 1,
  maxMessageSize: 64 * MIB,
  wireLog: DEFAULT_WIRE_LOG_LIMITS,
  maxEvents: 100_000,
  maxReceivedOctets: 0, // resolved from maxMessageSize
  maxWriteBuffer: 64 * MIB,
};

/** The options with their defaults, resolved once. */
export function resolvePeerOptions(options: PeerOptions = {}): Required<PeerOptions> {
  const resolved = { ...DEFAULTS, ...options };
  if (options.maxReceivedOctets === undefined) resolved.maxReceivedOctets = 4 * resolved.maxMessageSize;
  return resolved;
}

/**
 * Close codes a peer may send, as the suite's fuzzer accepts them (RFC 6455
 * §7.4.1 registered codes usable on the wire, and 3000–4999).
 */
const ALLOWED_CLOSE_CODES = new Set([1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013]);
const isAllowedCloseCode = (code: number): boolean => ALLOWED_CLOSE_CODES.has(code) || (code >= 3000 && code <= 4999);

const EMPTY = Buffer.alloc(0);

interface IncomingFrame {
  fin: boolean;
  rsv: number;
  opcode: number;
  length: number;
  maskKey: Buffer | null;
  received: number;
  parts: Buffer[];
}

interface QueuedWrite {
  data: Buffer;
  sync: boolean;
}

/**
 * One side of a fuzzing connection after the opening handshake: a WebSocket
 * endpoint that sends whatever a case asks for (reserved bits and opcodes,
 * bad UTF-8, wrong masking, writes chopped at any size) and judges the peer
 * the way the suite's own endpoint does: a protocol violation sends a Close
 * (1002, or 1007 for bad UTF-8) and reading goes on, so the peer's Close
 * reply is still seen; the flags `closedByMe`, `failedByMe`, `droppedByMe`
 * and `wasClean` follow the suite's rules, since the verdicts depend on them.
 */
export class FuzzPeer {
  state: PeerState = 'open';
  readonly log: WireLog;
  /** Why the case was cut short because the peer went past a limit (FAILED with this reason), or null. */
  limitReached: string | null = null;
  closedByMe = false;
  failedByMe = false;
  droppedByMe = false;
  wasClean = false;
  wasNotCleanReason: string | null = null;
  wasCloseHandshakeTimeout = false;
  wasServerConnectionDropTimeout = false;
  localCloseCode: number | null = null;
  localCloseReason: string | null = null;
  remoteCloseCode: number | null = null;
  remoteCloseReason: string | null = null;
  /** When > 0, `sendMessage` splits messages into frames of this size (case 10.1.1). */
  autoFragmentSize = 0;
  /** permessage-deflate, when the opening handshake negotiated it (categories 12 and 13). */
  deflate: PerMessageDeflate | null = null;

  private readonly reader = new ChunkReader();
  private frame: IncomingFrame | null = null;
  private insideMessage = false;
  private messageBinary = false;
  private messageParts: Buffer[] = [];
  private messageCompressed = false;
  private utf8: Utf8Validator | null = null;
  private utf8Failed = false;
  private readonly queue: QueuedWrite[] = [];
  private draining = false;
  private streamed: { key: number; offset: number } | null = null;
  private readonly timers = new Set<NodeJS.Timeout>();
  private lost = false;
  private messageSize = 0;
  private events = 0;
  private receivedOctets = 0;
  private readonly options: Required<PeerOptions>;

  /** We are the server: the peer is the client under test. */
  readonly isServer: boolean;

  constructor(
    private readonly socket: Socket,
    side: 'client' | 'server',
    private readonly listener: PeerListener,
    options: PeerOptions = {},
  ) {
    this.isServer = side === 'server';
    this.options = resolvePeerOptions(options);
    this.log = new WireLog(this.options.wireLog);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => {});
    socket.on('close', () => this.connectionLost());
    // Sockets from node:http allow half-open connections: a peer's FIN would never bring 'close'. We end too, as Twisted does.
    socket.on('end', () => {
      if (!socket.writableEnded) socket.end();
    });
  }

  /** Feeds bytes that arrived with the handshake, then reads on; call once, right after construction. */
  start(rest: Buffer): void {
    if (rest.length > 0) this.receive(rest);
    this.socket.resume();
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  // ---- timers

  /** Runs `fn` after `seconds` unless the connection is gone by then. */
  later(seconds: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.state !== 'closed') fn();
    }, seconds * 1000);
    this.timers.add(timer);
  }

  /** Fails the connection after `seconds` (the suite's `killAfter`). */
  killAfter(seconds: number): void {
    this.log.timer('KL', seconds);
    this.later(seconds, () => {
      this.log.timer('KLE');
      this.failConnection(CloseCode.GOING_AWAY, 'going away');
    });
  }

  /** Starts the closing handshake after `seconds` (the suite's `closeAfter`). */
  closeAfter(seconds: number): void {
    this.log.timer('TI', seconds);
    this.later(seconds, () => {
      this.log.timer('TIE');
      this.sendClose();
    });
  }

  /** Continues the case after `seconds` (the suite's `continueLater`). */
  continueLater(seconds: number, fn: () => void, tag: string | null = null): void {
    this.log.timer('CT', seconds, tag);
    this.later(seconds, () => {
      this.log.timer('CTE', tag);
      fn();
    });
  }

  // ---- sending

  /** Sends one frame exactly as described, valid or not. */
  sendFrame(spec: RawFrame): void {
    if (this.state === 'closed') return;
    const maskKey = spec.mask ?? (this.isServer ? null : maskBytes(randomMaskKey()));
    const { bytes, payload } = encodeRawFrame({ ...spec, mask: maskKey });
    this.log.txFrame({ opcode: spec.opcode, fin: spec.fin ?? true, rsv: spec.rsv ?? 0, maskKey }, payload, spec.payloadLength ?? null, spec.chopSize ?? null, spec.sync ?? false);
    this.sendData(bytes, spec.sync ?? false, spec.chopSize ?? 0);
  }

  /**
   * Sends a message as one frame, or split into `fragmentSize` frames (or
   * `autoFragmentSize`), the way the suite splits: when the size divides the
   * payload, an empty final frame follows.
   */
  sendMessage(message: Buffer, binary: boolean, fragmentSize: number | null = null): void {
    // RFC 7692 §6: with the extension on, every message goes out compressed, RSV1 on its first frame.
    if (this.deflate === null) this.sendPayload(message, binary, 0, fragmentSize);
    else this.sendPayload(this.deflate.compress(message), binary, 4, fragmentSize);
  }

  /**
   * Sends a message compressed elsewhere for this connection's parameters
   * (a shared `CompressedSequence`), framed as `sendMessage` frames it.
   */
  sendCompressed(payload: Buffer, binary: boolean): void {
    this.sendPayload(payload, binary, 4, null);
  }

  private sendPayload(payload: Buffer, binary: boolean, rsv: number, fragmentSize: number | null): void {
    const opcode = binary ? 2 : 1;
    const size = fragmentSize ?? (this.autoFragmentSize > 0 ? this.autoFragmentSize : null);
    if (size === null || payload.length <= size) {
      this.sendFrame({ opcode, payload, rsv });
      return;
    }
    // One write for all frames of the message (as Twisted's buffered transport sends them), not one syscall per 256-octet frame.
    this.socket.cork();
    for (let i = 0, first = true; ; i += size, first = false) {
      const end = i + size;
      const last = end > payload.length;
      this.sendFrame({ opcode: first ? opcode : 0, payload: payload.subarray(i, Math.min(end, payload.length)), fin: last, rsv: first ? rsv : 0 });
      if (last) break;
    }
    this.socket.uncork();
  }

  /**
   * Writes the header of a non-final frame of `length` octets whose payload
   * follows in parts (`sendFramePart`), so a frame can stop mid-payload.
   */
  beginFrame(opcode: number, length: number): void {
    if (this.state !== 'open') return;
    const mask = this.isServer ? null : maskBytes(randomMaskKey());
    const { bytes } = encodeRawFrame({ opcode, fin: false, payload: Buffer.alloc(length), mask });
    this.streamed = { key: mask === null ? 0 : mask.readUInt32BE(0), offset: 0 };
    this.sendData(bytes.subarray(0, bytes.length - length));
  }

  /** The next part of the payload begun by `beginFrame`, masked at its offset (§5.3). */
  sendFramePart(part: Buffer): void {
    if (this.state !== 'open' || this.streamed === null) return;
    const data = Buffer.from(part);
    applyMask(data, this.streamed.key, this.streamed.offset);
    this.streamed.offset += data.length;
    this.sendData(data);
  }

  /** Writes octets: at once, or queued so each write gets its own turn of the event loop (`sync`, `chopSize`). */
  sendData(data: Buffer, sync = false, chopSize = 0): void {
    if (chopSize > 0) {
      for (let i = 0; i < data.length; i += chopSize) this.queue.push({ data: data.subarray(i, i + chopSize), sync: true });
      this.drain();
    } else if (sync || this.queue.length > 0) {
      this.queue.push({ data, sync });
      this.drain();
    } else {
      this.write(data, false);
    }
  }

  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    const next = (): void => {
      const item = this.queue.shift();
      if (item === undefined || this.state === 'closed') {
        this.queue.length = 0;
        this.draining = false;
        return;
      }
      this.write(item.data, item.sync);
      setImmediate(next);
    };
    setImmediate(next);
  }

  private write(data: Buffer, sync: boolean): void {
    if (this.socket.destroyed || this.socket.writableEnded) return;
    if (this.socket.writableLength + data.length > this.options.maxWriteBuffer) {
      this.overLimit(`the peer did not read what we sent: more than ${this.options.maxWriteBuffer} octets queued for it`);
      return;
    }
    this.log.txOctets(data, sync);
    this.socket.write(data);
  }

  /** Cuts the case short: the peer went past one of our limits, which no conformant peer does in any case. */
  private overLimit(reason: string): void {
    if (this.limitReached === null) this.limitReached = reason;
    this.abort(reason);
  }

  /** Counts what is handed to the case, which holds it for judging; false once past a limit. */
  private deliver(octets: number): boolean {
    this.events++;
    this.receivedOctets += octets;
    if (this.events > this.options.maxEvents) this.overLimit(`the peer sent more than ${this.options.maxEvents} messages and Pongs`);
    else if (this.receivedOctets > this.options.maxReceivedOctets) this.overLimit(`the peer sent more than ${this.options.maxReceivedOctets} octets of messages and Pongs`);
    return this.limitReached === null;
  }

  /** Starts the closing handshake with a valid code and reason (the suite's `sendClose`). */
  sendClose(code: number | null = null, reason: string | null = null): void {
    this.sendCloseFrame(code, reason === null ? null : truncateUtf8(reason, 123), { isReply: false });
  }

  /** Sends a Close frame with any code and reason octets, valid or not. */
  sendCloseFrame(code: number | null = null, reason: Buffer | null = null, { isReply }: { isReply: boolean } = { isReply: false }): void {
    if (this.state !== 'open') return;
    const head = code === null ? EMPTY : Buffer.from([code >> 8, code & 0xff]);
    this.sendFrame({ opcode: 8, payload: reason === null ? head : Buffer.concat([head, reason]) });
    this.state = 'closing';
    this.closedByMe = !isReply;
    this.localCloseCode = code;
    this.localCloseReason = reason === null ? null : reason.toString('utf8');
    if (this.closedByMe && this.options.closeHandshake > 0) {
      this.later(this.options.closeHandshake, () => {
        this.wasClean = false;
        this.wasNotCleanReason = 'WebSocket closing handshake timeout (peer did not finish the closing handshake in time)';
        this.wasCloseHandshakeTimeout = true;
        this.dropConnection({ abort: true });
      });
    }
  }

  /** Fails the connection: a Close with `code`, or a TCP drop when we are already closing. */
  failConnection(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.failedByMe = true;
    if (this.state === 'open') this.sendCloseFrame(code, truncateUtf8(reason, 123), { isReply: false });
    else this.dropConnection({ abort: false });
  }

  dropConnection({ abort }: { abort: boolean }): void {
    if (this.state === 'closed') return;
    this.droppedByMe = true;
    this.state = 'closed';
    // Twisted's loseConnection flushes, then closes the socket; abortConnection does not flush.
    if (abort) this.socket.destroy();
    else this.socket.end(() => this.socket.destroy());
  }

  /** Ends a case that outlived its deadline or could not run: an unclean drop by us. */
  abort(reason: string): void {
    if (this.lost) return;
    if (this.state !== 'closed') {
      this.wasClean = false;
      this.wasNotCleanReason = reason;
      this.droppedByMe = true;
      this.state = 'closed';
    }
    this.socket.destroy();
  }

  private protocolViolation(reason: string): void {
    this.failConnection(CloseCode.PROTOCOL_ERROR, reason);
  }

  private invalidPayload(reason: string): void {
    this.failConnection(CloseCode.INVALID_PAYLOAD, reason);
  }

  // ---- receiving

  private receive(chunk: Buffer): void {
    this.log.rxOctets(chunk);
    if (this.state === 'closed') return;
    this.reader.push(chunk);
    // One header or one piece of payload per step; a step may close the connection.
    while (this.step() && !this.closed) {
      // next step
    }
  }

  /** Processes one frame header or the payload at hand; false when more bytes are needed. */
  private step(): boolean {
    const frame = this.frame;
    if (frame === null) return this.readHeader();
    const count = Math.min(frame.length - frame.received, this.reader.length);
    const data = count > 0 ? this.reader.take(count) : EMPTY;
    if (frame.maskKey !== null && count > 0) applyMask(data, frame.maskKey.readUInt32BE(0), frame.received);
    frame.received += count;
    this.frameData(frame, data);
    if (frame.received === frame.length) this.frameEnd(frame);
    return this.reader.length > 0;
  }

  /** RFC 6455 §5.2, with every check the suite's endpoint makes (§5.1 masking, §5.4 fragmentation, §5.5 control frames). */
  private readHeader(): boolean {
    const reader = this.reader;
    if (reader.length < 2) return false;
    const b0 = reader.peek(0);
    const b1 = reader.peek(1);
    const masked = (b1 & 0x80) !== 0;
    const code7 = b1 & 0x7f;
    const headerLength = 2 + (code7 === 126 ? 2 : code7 === 127 ? 8 : 0) + (masked ? 4 : 0);
    if (reader.length < headerLength) return false;
    const fin = (b0 & 0x80) !== 0;
    const rsv = (b0 >> 4) & 7;
    const opcode = b0 & 0x0f;

    const compressed = rsv === 4 && this.deflate !== null;
    if (rsv !== 0 && !compressed) this.protocolViolation(`RSV = ${rsv} and no extension negotiated`);
    if (this.isServer && !masked) this.protocolViolation('unmasked client-to-server frame');
    if (!this.isServer && masked) this.protocolViolation('masked server-to-client frame');
    if (opcode > 7) {
      if (!fin) this.protocolViolation('fragmented control frame');
      if (code7 > 125) this.protocolViolation('control frame with payload length > 125 octets');
      if (opcode > 10) this.protocolViolation(`control frame using reserved opcode ${opcode}`);
      if (opcode === 8 && code7 === 1) this.protocolViolation('received close control frame with payload len 1');
      if (compressed) this.protocolViolation('received compressed control frame (RFC 7692 §6.1)');
    } else {
      if (opcode > 2) this.protocolViolation(`data frame using reserved opcode ${opcode}`);
      if (!this.insideMessage && opcode === 0) this.protocolViolation('received continuation data frame outside fragmented message');
      if (this.insideMessage && opcode !== 0) this.protocolViolation('received non-continuation data frame while inside fragmented message');
      if (compressed && this.insideMessage) this.protocolViolation('received continuation data frame with compress bit set (RFC 7692 §6.1)');
    }

    let length = code7;
    if (code7 === 126) {
      length = (reader.peek(2) << 8) | reader.peek(3);
      if (length < 126) this.protocolViolation('invalid data frame length (not using minimal length encoding)');
    } else if (code7 === 127) {
      const high = readUint32(reader, 2);
      if (high & 0x80000000) this.protocolViolation('invalid data frame length (>2^63)');
      length = (high & 0x7fffffff) * 0x1_0000_0000 + readUint32(reader, 6);
      if (length < 65536) this.protocolViolation('invalid data frame length (not using minimal length encoding)');
    }
    if (opcode <= 7 && (this.insideMessage ? this.messageSize : 0) + length > this.options.maxMessageSize) {
      // Checked on the header, before any of the payload is held.
      this.failConnection(CloseCode.MESSAGE_TOO_BIG, `message longer than ${this.options.maxMessageSize} octets`);
      this.dropConnection({ abort: true });
      return false;
    }
    reader.skip(headerLength - (masked ? 4 : 0));
    const maskKey = masked ? Buffer.from(reader.take(4)) : null;
    const frame: IncomingFrame = { fin, rsv, opcode, length, maskKey, received: 0, parts: [] };
    this.frame = frame;
    if (opcode <= 7 && !this.insideMessage) {
      this.insideMessage = true;
      this.messageBinary = opcode === 2;
      this.messageParts = [];
      this.messageSize = 0;
      this.messageCompressed = compressed;
      // Compressed text is checked once inflated, at the end of the message.
      this.utf8 = opcode === 1 && !compressed ? new Utf8Validator() : null;
      this.utf8Failed = false;
    }
    return length === 0 || reader.length > 0;
  }

  private frameData(frame: IncomingFrame, data: Buffer): void {
    if (frame.opcode > 7 || this.log.enabled) frame.parts.push(data);
    if (frame.opcode > 7) return;
    if (this.utf8 !== null) {
      if (this.utf8Failed || !this.utf8.feed(data)) {
        this.utf8Failed = true;
        this.invalidPayload(`encountered invalid UTF-8 while processing text message at payload octet index ${frame.received}`);
      }
    }
    if (data.length > 0) this.messageParts.push(data);
    this.messageSize += data.length;
  }

  private frameEnd(frame: IncomingFrame): void {
    this.frame = null;
    this.log.rxFrame(frame, () => Buffer.concat(frame.parts), frame.length);
    if (frame.opcode > 7) {
      this.controlFrame(frame.opcode, Buffer.concat(frame.parts));
      return;
    }
    if (!frame.fin) return;
    if (this.utf8 !== null && (this.utf8Failed || !this.utf8.finish())) {
      this.invalidPayload('UTF-8 text message payload ended within Unicode code point');
    }
    this.insideMessage = false;
    const payload = this.messageCompressed ? this.inflate() : this.messageParts.length === 1 ? this.messageParts[0] : Buffer.concat(this.messageParts);
    this.messageParts = [];
    if (payload !== null && !this.failedByMe && this.deliver(payload.length)) this.listener.onMessage(payload, this.messageBinary);
  }

  /** The inflated message (RFC 7692 §7.2.2), checked for UTF-8 if it is text; null when it is bad. */
  private inflate(): Buffer | null {
    let payload: Buffer;
    try {
      payload = this.deflate!.decompress(this.messageParts, this.options.maxMessageSize);
    } catch (error) {
      // Bad deflate data is 1007, an inflated size past our limit 1009 (the core's error says which).
      this.failConnection(error instanceof WebSocketError ? error.closeCode : CloseCode.INVALID_PAYLOAD, (error as Error).message);
      return null;
    }
    if (!this.messageBinary) {
      const validator = new Utf8Validator();
      if (!validator.feed(payload) || !validator.finish()) {
        this.invalidPayload('encountered invalid UTF-8 while processing compressed text message');
        return null;
      }
    }
    return payload;
  }

  private controlFrame(opcode: number, payload: Buffer): void {
    if (opcode === 8) {
      const code = payload.length > 1 ? payload.readUInt16BE(0) : null;
      this.closeFrame(code, payload.length > 2 ? payload.subarray(2) : null);
    } else if (opcode === 9) {
      if (this.state === 'open') this.sendFrame({ opcode: 10, payload });
    } else if (opcode === 10) {
      if (this.deliver(payload.length)) this.listener.onPong(payload);
    }
  }

  /** §5.5.1 and §7: what the suite's endpoint does on a Close, including its verdict flags. */
  private closeFrame(code: number | null, reason: Buffer | null): void {
    this.remoteCloseCode = null;
    this.remoteCloseReason = null;
    if (code !== null && !isAllowedCloseCode(code)) {
      this.protocolViolation(`invalid close code ${code}`);
      this.remoteCloseCode = CloseCode.NORMAL;
    } else {
      this.remoteCloseCode = code;
    }
    if (reason !== null) {
      const validator = new Utf8Validator();
      if (!validator.feed(reason) || !validator.finish()) this.invalidPayload('invalid close reason (non-UTF8 payload)');
      else this.remoteCloseReason = reason.toString('utf8');
    }
    if (this.state === 'closing') {
      this.wasClean = true;
      if (this.isServer) {
        this.dropConnection({ abort: true });
      } else if (this.options.serverConnectionDrop > 0) {
        // §7.1.1: the server closes TCP first; a client waits for that, then gives up.
        this.later(this.options.serverConnectionDrop, () => {
          this.wasClean = false;
          this.wasNotCleanReason = 'WebSocket closing handshake timeout (server did not drop TCP connection in time)';
          this.wasServerConnectionDropTimeout = true;
          this.dropConnection({ abort: true });
        });
      }
    } else if (this.state === 'open') {
      this.wasClean = true;
      this.sendCloseFrame(CloseCode.NORMAL, null, { isReply: true });
      if (this.isServer) this.dropConnection({ abort: false });
    } else {
      this.wasClean = false;
    }
  }

  private connectionLost(): void {
    if (this.lost) return;
    this.lost = true;
    this.state = 'closed';
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    if (!this.wasClean && !this.droppedByMe && this.wasNotCleanReason === null) {
      this.wasNotCleanReason = 'peer dropped the TCP connection without previous WebSocket closing handshake';
    }
    this.listener.onConnectionLost();
  }
}

function readUint32(reader: ChunkReader, at: number): number {
  return ((reader.peek(at) << 24) | (reader.peek(at + 1) << 16) | (reader.peek(at + 2) << 8) | reader.peek(at + 3)) >>> 0;
}

const maskBytes = (key: number): Buffer => {
  const bytes = Buffer.allocUnsafe(4);
  bytes.writeUInt32BE(key, 0);
  return bytes;
};

/** The UTF-8 of `text`, cut to at most `max` octets on a code point boundary. */
export function truncateUtf8(text: string, max: number): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= max) return bytes;
  let end = max;
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}
