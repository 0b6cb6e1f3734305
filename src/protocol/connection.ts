import { ChunkReader } from './reader.js';
import { encodeFrame, encodeTextFrame, FIN, MAX_INLINE_PAYLOAD, parseFrameHeader, RSV1, type FrameHeader } from './frame.js';
import { applyMask, maskKeyFromBytes, randomMaskKey } from './mask.js';
import { Opcode, isControl } from './opcodes.js';
import { CloseCode, isValidWireCloseCode } from './close-codes.js';
import { WebSocketError, internalError, invalidUtf8, protocolError, tooBig } from './errors.js';
import { LIMIT_DEFAULTS, checkByteCount } from './limits.js';
import { Utf8Validator, decodeText, isUtf8 } from './utf8.js';
import { MessageParts } from './parts.js';
import type { PerMessageDeflate } from './deflate.js';
import { TextBytes } from './text-bytes.js';

export type Side = 'client' | 'server';

type DataOpcode = typeof Opcode.TEXT | typeof Opcode.BINARY;

/** RFC 6455 §4–§7 connection states, once the opening handshake is done. */
export enum State {
  /** Messages flow both ways. */
  OPEN = 'OPEN',
  /** We sent a Close frame and wait for the peer's (§7.1.2). The one state in which only we have sent one. */
  CLOSING = 'CLOSING',
  /** Close frames exchanged, connection failed, or the transport ended. */
  CLOSED = 'CLOSED',
}

export type ProtocolEvent =
  /** Text is a string, or TextBytes with the `textAsBytes` option; binary is a Buffer. */
  | { type: 'message'; data: string | Buffer | TextBytes }
  | { type: 'ping'; data: Buffer }
  | { type: 'pong'; data: Buffer }
  | {
    type: 'close';
    /** The peer's close code; 1005 if its Close frame had none, 1006 when no Close frame arrived. */
    code: number;
    reason: string;
    /** True when both Close frames were exchanged (§7.1.4). */
    wasClean: boolean;
    /** Set when we failed the connection (§7.1.7). */
    error?: WebSocketError;
  };

export interface ConnectionOptions {
  side: Side;
  /** Largest message accepted, after decompression, in bytes; Infinity for no limit. Default 64 MiB. */
  maxMessageSize?: number;
  /** The negotiated permessage-deflate codec, if any. */
  deflate?: PerMessageDeflate | null;
  /** Source of masking keys; tests inject a fixed one. Default: random (§5.3). */
  maskKey?: () => Uint8Array;
  /**
   * Hand text messages out as TextBytes (validated UTF-8 bytes) instead of
   * strings, so a relay need not decode and re-encode them. Default false.
   */
  textAsBytes?: boolean;
}

/**
 * How a send keeps the caller's payload until the transport writes it:
 * 'copy' takes the bytes at once (the caller may change them as soon as
 * the call returns); 'reference' queues a large unmasked payload as it is
 * (no copy), and the caller must not change it until it is written.
 */
export type PayloadHold = 'copy' | 'reference';

export const DEFAULT_MAX_MESSAGE_SIZE = LIMIT_DEFAULTS.maxMessageSize;

const EMPTY = Buffer.alloc(0);
/** Largest one-frame payload collected into a buffer of its announced length (see `collectsWhole`). */
const MAX_COLLECTED = 16 * 1024 * 1024;

/**
 * One WebSocket connection's protocol state, with no I/O (sans-I/O): feed it
 * bytes with `receiveData`/`receiveEof`, send with `sendText`/`sendBinary`/
 * `ping`/`close`, then collect `takeEvents()` and `takeOutgoing()` and act on
 * `state`. Every RFC rule lives here, so every rule is testable with bytes.
 */
export class Connection {
  readonly side: Side;
  state = State.OPEN;
  /** Why the connection ended, once `state` is CLOSED. */
  closeEvent: Extract<ProtocolEvent, { type: 'close' }> | null = null;

  private readonly maxMessageSize: number;
  private readonly deflate: PerMessageDeflate | null;
  private readonly textAsBytes: boolean;
  private readonly nextMaskKey: (() => number) | null;
  private readonly reader = new ChunkReader();
  private events: ProtocolEvent[] = [];
  private outgoing: Buffer[] = [];
  private header: FrameHeader | null = null;
  private payloadRemaining = 0;
  /** Payload bytes of the current frame already consumed: where the masking key stands. */
  private payloadOffset = 0;

  // The data message being reassembled (§5.4): its opcode, null between messages (0 is CONTINUATION's own).
  private messageOpcode: DataOpcode | null = null;
  private messageCompressed = false;
  private fragments: MessageParts | null = null;
  /** The payload of a one-frame message that spans socket chunks, filled in as they arrive (see `collectsWhole`). */
  private whole: Buffer | null = null;
  private utf8: Utf8Validator | null = null;

  private heldClose: (() => void) | null = null;

  constructor(options: ConnectionOptions) {
    this.side = options.side;
    checkByteCount(options.maxMessageSize, 'maxMessageSize');
    this.maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    this.deflate = options.deflate ?? null;
    this.textAsBytes = options.textAsBytes ?? false;
    const injected = options.maskKey;
    this.nextMaskKey = options.side === 'server' ? null : injected ? () => maskKeyFromBytes(injected()) : randomMaskKey;
  }

  /** Events produced since the last call: messages, pings, pongs, and at most one close. */
  takeEvents(): ProtocolEvent[] {
    const events = this.events;
    if (events.length > 0) this.events = [];
    return events;
  }

  /** Bytes to write to the transport, in order. */
  takeOutgoing(): Buffer[] {
    const out = this.outgoing;
    if (out.length > 0) this.outgoing = [];
    return out;
  }

  get hasOutgoing(): boolean {
    return this.outgoing.length > 0;
  }

  /**
   * Whether the transport should now end the TCP connection itself. §7.1.1:
   * the server closes first once the closing handshake is over or the
   * connection failed; a client waits (bounded by its close timeout) for
   * the server to do it.
   */
  get shouldCloseTransport(): boolean {
    return this.state === State.CLOSED && this.side === 'server';
  }

  receiveData(chunk: Buffer): void {
    // §7.1.7: no more processing after a Close frame or a failure.
    if (this.state === State.CLOSED || this.heldClose !== null) return;
    this.reader.push(chunk);
    try {
      this.parse();
    } catch (error) {
      // Anything else is a bug of ours: it ends this connection (1011), not the process.
      const failure = error instanceof WebSocketError ? error : internalError(error);
      this.closeAfterMessages(() => this.fail(failure));
    }
  }

  /**
   * Whether a peer Close frame or a failure is held back until the
   * application has seen the messages that arrived before it (see
   * `releaseClose`). Input is ignored meanwhile.
   */
  get holdsClose(): boolean {
    return this.heldClose !== null;
  }

  /**
   * Completes the close held back by `receiveData`. Messages that came
   * before a Close frame or a bad frame are valid, and an application that
   * answers them (an echo) must get the chance to before our Close frame
   * goes out — as a synchronous library would. The transport calls this
   * once it has handed those messages over.
   */
  releaseClose(): void {
    const action = this.heldClose;
    this.heldClose = null;
    action?.();
  }

  private closeAfterMessages(action: () => void): void {
    // Once our Close frame is out there is nothing left to answer with.
    if (this.state === State.OPEN && this.events.some((event) => event.type === 'message')) {
      this.heldClose = action;
      this.reader.clear();
    } else {
      action();
    }
  }

  /**
   * Whether the bytes received so far end exactly at a frame boundary, with
   * no frame half read: someone else could read the next frames
   * from here (the sync API lets its worker answer Pings between calls).
   */
  get atFrameBoundary(): boolean {
    return this.header === null && this.reader.length === 0 && this.heldClose === null;
  }

  /** The transport reached end of stream. Without a closing handshake that is 1006 (§7.1.5). */
  receiveEof(): void {
    if (this.state === State.CLOSED) return;
    this.finish({ type: 'close', code: CloseCode.ABNORMAL, reason: '', wasClean: false });
  }

  /**
   * Queues a text message (a string, or UTF-8 bytes). A string is encoded
   * here; bytes are kept as `sendBinary` keeps them (see `PayloadHold`).
   * Returns true when the caller's bytes were queued by reference.
   */
  sendText(text: string | Uint8Array, hold: PayloadHold = 'copy'): boolean {
    if (typeof text !== 'string') return this.sendMessage(Opcode.TEXT, checkBytes(text), hold);
    const length = Buffer.byteLength(text);
    const masked = this.nextMaskKey !== null;
    if ((masked || length <= MAX_INLINE_PAYLOAD) && !(this.deflate?.shouldCompress(length) ?? false)) {
      // Encoded into the frame itself; a large unmasked text is better as the header plus its Buffer.from bytes, uncopied.
      this.assertOpen();
      encodeTextFrame(this.outgoing, FIN | Opcode.TEXT, text, length, masked ? this.nextMaskKey!() : null);
    } else {
      this.sendMessage(Opcode.TEXT, Buffer.from(text, 'utf8'), 'reference');
    }
    return false;
  }

  /**
   * Queues a binary message. With `hold` 'copy' (the default) the caller may
   * change `data` as soon as this returns: what goes out is a copy (masked
   * frames and compressed ones are new bytes anyway, small frames are copied
   * in with their header, and a large unmasked payload is copied here). With
   * 'reference' a large unmasked uncompressed payload is queued as it is,
   * and true is returned: the caller leaves it alone until it is written.
   */
  sendBinary(data: Uint8Array, hold: PayloadHold = 'copy'): boolean {
    return this.sendMessage(Opcode.BINARY, checkBytes(data), hold);
  }

  ping(data: Uint8Array = EMPTY): void {
    this.sendControl(Opcode.PING, data);
  }

  pong(data: Uint8Array = EMPTY): void {
    this.sendControl(Opcode.PONG, data);
  }

  /**
   * Starts the closing handshake (§7.1.2). `code` undefined sends a Close
   * frame with no body. Does nothing more once a Close frame was sent.
   */
  close(code: number | undefined = CloseCode.NORMAL, reason = ''): void {
    const body = encodeCloseBody(code, reason); // bad arguments throw even when already closed
    if (this.state !== State.OPEN) return;
    this.writeFrame(FIN | Opcode.CLOSE, body);
    this.state = State.CLOSING;
  }

  /**
   * _Fail the WebSocket Connection_ (§7.1.7): send a Close frame with the
   * error's code if we have not sent one, then stop processing input.
   * Exposed for the transport's own failures (e.g. a timeout).
   */
  fail(error: WebSocketError): void {
    if (this.state === State.CLOSED) return;
    if (this.state === State.OPEN) {
      // Not yet sent a Close frame (CLOSING means we have): send one with the failure's code.
      const reason = error.closeReason !== undefined ? truncateReason(error.closeReason) : (error.closeCode === CloseCode.INTERNAL_ERROR ? '' : truncateReason(error.message));
      this.writeFrame(FIN | Opcode.CLOSE, encodeCloseBody(error.closeCode, reason));
    }
    this.finish({ type: 'close', code: error.closeCode, reason: error.message, wasClean: false, error });
  }

  private finish(event: Extract<ProtocolEvent, { type: 'close' }>): void {
    this.state = State.CLOSED;
    this.closeEvent = event;
    this.events.push(event);
    this.reader.clear();
    this.fragments = null;
    this.whole = null;
    this.deflate?.dispose();
  }

  /** §5.5.1: after sending a Close frame, an endpoint sends no more data frames (nor pings, here). */
  private assertOpen(): void {
    if (this.state !== State.OPEN) {
      throw new WebSocketError('WS_ERR_NOT_OPEN', CloseCode.NORMAL, `cannot send: the connection is ${this.state.toLowerCase()}`);
    }
  }

  /** Queues one data frame; true when `data` itself is queued (a large unmasked, uncompressed payload held by 'reference'). */
  private sendMessage(opcode: number, data: Uint8Array, hold: PayloadHold): boolean {
    this.assertOpen();
    if (this.deflate !== null && this.deflate.shouldCompress(data.length)) {
      // RFC 7692 §6: RSV1 marks the (first frame of the) compressed message.
      this.writeFrame(FIN | RSV1 | opcode, this.deflate.compress(data));
      return false;
    }
    const referenced = this.nextMaskKey === null && data.length > MAX_INLINE_PAYLOAD;
    if (referenced && hold === 'copy') {
      // encodeFrame would queue it by reference, and the caller may reuse it once we return.
      this.writeFrame(FIN | opcode, Buffer.from(data));
      return false;
    }
    this.writeFrame(FIN | opcode, data);
    return referenced;
  }

  private sendControl(opcode: number, data: Uint8Array): void {
    this.assertOpen();
    if (data.length > 125) throw new RangeError('control frame payload must be 125 bytes or less (RFC 6455 §5.5)');
    this.writeFrame(FIN | opcode, data);
  }

  private writeFrame(firstByte: number, payload: Uint8Array): void {
    encodeFrame(this.outgoing, firstByte, payload, this.nextMaskKey === null ? null : this.nextMaskKey());
  }

  private parse(): void {
    for (;;) {
      let header = this.header;
      if (header === null) {
        header = parseFrameHeader(this.reader);
        if (header === null) return;
        this.checkHeader(header);
        this.header = header;
        this.payloadRemaining = header.length;
        this.payloadOffset = 0;
      }
      if (isControl(header.opcode)) {
        if (this.reader.length < header.length) return;
        const payload = header.length === 0 ? EMPTY : this.reader.take(header.length);
        this.header = null;
        applyMask(payload, header.maskKey);
        this.handleControl(header.opcode, payload);
      } else {
        // Data payloads are consumed as they arrive, so invalid text fails on
        // the TCP segment that carries it (Autobahn 6.4.x), and a large frame
        // is never copied before the message is assembled.
        if (this.payloadRemaining === 0) {
          this.header = null;
          this.handleData(header, EMPTY, true);
        }
        while (this.payloadRemaining > 0 && this.reader.length > 0) {
          let piece = this.reader.takeAtMost(this.payloadRemaining);
          if (this.payloadOffset === 0 && this.collectsWhole(header, piece)) this.whole = Buffer.allocUnsafe(header.length);
          if (this.whole !== null) {
            // Copied while the chunk is hot and unmasked there: no list of views joined at the end.
            piece.copy(this.whole, this.payloadOffset);
            piece = this.whole.subarray(this.payloadOffset, this.payloadOffset + piece.length);
          }
          applyMask(piece, header.maskKey, this.payloadOffset);
          this.payloadOffset += piece.length;
          this.payloadRemaining -= piece.length;
          if (this.payloadRemaining === 0) this.header = null;
          this.handleData(header, piece, this.payloadRemaining === 0);
        }
        if (this.payloadRemaining > 0) return;
      }
      if (this.state === State.CLOSED || this.heldClose !== null) return;
    }
  }

  /** The header rules that depend on connection state, checked before any payload is buffered. */
  private checkHeader(header: FrameHeader): void {
    // §5.1: clients mask every frame, servers never do.
    if (this.side === 'server' && !header.masked) {
      throw protocolError('WS_ERR_EXPECTED_MASK', 'client frames must be masked (RFC 6455 §5.1)');
    }
    if (this.side === 'client' && header.masked) {
      throw protocolError('WS_ERR_UNEXPECTED_MASK', 'server frames must not be masked (RFC 6455 §5.1)');
    }
    if (header.rsv1) {
      // RFC 7692 §6.1: RSV1 only on the first frame of a data message, and only once negotiated.
      if (this.deflate === null) {
        throw protocolError('WS_ERR_UNEXPECTED_RSV', 'RSV1 set but no extension was negotiated (RFC 6455 §5.2)');
      }
      if (isControl(header.opcode) || header.opcode === Opcode.CONTINUATION) {
        throw protocolError('WS_ERR_UNEXPECTED_RSV', 'RSV1 is only allowed on the first frame of a data message (RFC 7692 §6.1)');
      }
    }
    if (isControl(header.opcode)) return;
    if (header.opcode === Opcode.CONTINUATION) {
      if (this.messageOpcode === null) {
        throw protocolError('WS_ERR_UNEXPECTED_CONTINUATION', 'continuation frame without a message to continue (RFC 6455 §5.4)');
      }
    } else if (this.messageOpcode !== null) {
      throw protocolError('WS_ERR_EXPECTED_CONTINUATION', 'new data frame inside a fragmented message (RFC 6455 §5.4)');
    }
    // §10.4: refuse oversized messages from the header, before buffering the payload.
    if ((this.fragments?.size ?? 0) + header.length > this.maxMessageSize) throw tooBig(this.maxMessageSize);
  }

  /**
   * Whether a one-frame message whose first piece is `first` is collected
   * into one buffer of its announced length rather than as a list of views
   * joined at the end. Only when it cannot come in one piece, and only up
   * to MAX_COLLECTED with at least 1/16 of it already here: a header alone
   * never makes us reserve much more than the peer has sent.
   */
  private collectsWhole(header: FrameHeader, first: Buffer): boolean {
    return header.fin && this.fragments === null && first.length < header.length
      && header.length <= MAX_COLLECTED && first.length * 16 >= header.length;
  }

  /** One piece of a data frame's payload (§5.4, §5.6); `frameDone` marks its last piece. */
  private handleData(header: FrameHeader, piece: Buffer, frameDone: boolean): void {
    if (header.opcode !== Opcode.CONTINUATION && this.messageOpcode === null) {
      this.messageOpcode = header.opcode as DataOpcode; // checkHeader let only data opcodes through
      this.messageCompressed = header.rsv1;
    }
    const messageDone = frameDone && header.fin;
    if (messageDone && this.fragments === null && this.whole === null) {
      // Whole message in one piece, the common case: no reassembly.
      this.deliver([piece], false);
      return;
    }
    if (piece.length > 0) {
      if (this.whole === null) (this.fragments ??= new MessageParts()).push(piece);
      // §8.1, failing fast: text is validated piece by piece (compressed text once inflated).
      if (this.messageOpcode === Opcode.TEXT && !this.messageCompressed) {
        this.utf8 ??= new Utf8Validator();
        if (!this.utf8.feed(piece)) throw invalidUtf8('invalid UTF-8 in a text message (RFC 6455 §8.1)');
      }
    }
    if (!messageDone) return;
    if (this.whole !== null) {
      const whole = this.whole;
      this.whole = null;
      this.deliver([whole], true);
      return;
    }
    const fragments = this.fragments?.take() ?? [];
    this.fragments = null;
    this.deliver(fragments, true);
  }

  /**
   * Emits the message now complete. `validatedPieces` says the text was
   * already checked piece by piece and only its end remains to check.
   */
  private deliver(fragments: Buffer[], validatedPieces: boolean): void {
    const opcode = this.messageOpcode;
    const compressed = this.messageCompressed;
    this.messageOpcode = null;
    this.messageCompressed = false;
    const data = compressed
      ? this.deflate!.decompress(fragments, this.maxMessageSize)
      : fragments.length === 1 ? fragments[0] : Buffer.concat(fragments);
    if (opcode !== Opcode.TEXT) {
      this.events.push({ type: 'message', data });
      return;
    }
    if (validatedPieces && !compressed && !this.utf8!.finish()) {
      throw invalidUtf8('text message ends inside a UTF-8 sequence (RFC 6455 §8.1)');
    }
    if (this.textAsBytes) {
      // The same checks as decodeText's, without making the string.
      if (!(validatedPieces && !compressed) && !isUtf8(data)) throw invalidUtf8('invalid UTF-8 in a text message (RFC 6455 §8.1)');
      this.events.push({ type: 'message', data: new TextBytes(data) });
      return;
    }
    const text = decodeText(data, validatedPieces && !compressed ? 'validated' : 'unchecked');
    if (text === null) throw invalidUtf8('invalid UTF-8 in a text message (RFC 6455 §8.1)');
    this.events.push({ type: 'message', data: text });
  }

  private handleControl(opcode: number, payload: Buffer): void {
    if (opcode === Opcode.PING) {
      // §5.5.2: answer with a Pong carrying the same payload, unless we already sent a Close frame.
      if (this.state === State.OPEN) this.writeFrame(FIN | Opcode.PONG, payload);
      this.events.push({ type: 'ping', data: payload });
      return;
    }
    if (opcode === Opcode.PONG) {
      this.events.push({ type: 'pong', data: payload });
      return;
    }
    const { code, reason } = decodeCloseBody(payload);
    this.closeAfterMessages(() => {
      if (this.state === State.OPEN) {
        // §5.5.1: reply with a Close frame, echoing the status code we received.
        this.writeFrame(FIN | Opcode.CLOSE, code === CloseCode.NO_STATUS ? EMPTY : payload.subarray(0, 2));
      }
      this.finish({ type: 'close', code, reason, wasClean: true });
    });
  }
}

function checkBytes(data: Uint8Array): Uint8Array {
  if (data instanceof Uint8Array) return data;
  throw new TypeError(`a message must be a string or a Uint8Array, not ${data === null ? 'null' : typeof data}`);
}

/** Parses a Close frame body (§5.5.1, §7.4): status code and UTF-8 reason, or 1005 if empty. */
export function decodeCloseBody(payload: Buffer): { code: number; reason: string } {
  if (payload.length === 0) return { code: CloseCode.NO_STATUS, reason: '' };
  if (payload.length === 1) throw protocolError('WS_ERR_INVALID_CLOSE_FRAME', 'close frame body of 1 byte: no room for a status code (RFC 6455 §5.5.1)');
  const code = payload.readUInt16BE(0);
  if (!isValidWireCloseCode(code)) {
    throw protocolError('WS_ERR_INVALID_CLOSE_CODE', `invalid close code ${code} (RFC 6455 §7.4)`);
  }
  const reason = payload.subarray(2);
  if (!isUtf8(reason)) throw invalidUtf8('close reason is not valid UTF-8 (RFC 6455 §5.5.1)');
  return { code, reason: reason.toString('utf8') };
}

/** Builds a Close frame body; checks the code and that the reason fits in 123 bytes (§5.5). */
export function encodeCloseBody(code: number | undefined, reason: string): Buffer {
  if (code === undefined) {
    if (reason !== '') throw new TypeError('a close reason needs a close code');
    return EMPTY;
  }
  if (!Number.isInteger(code) || !isValidWireCloseCode(code)) {
    throw new RangeError(`close code ${code} cannot be sent: use 1000–1003, 1007–1014 or 3000–4999 (RFC 6455 §7.4)`);
  }
  const body = Buffer.allocUnsafe(2 + Buffer.byteLength(reason));
  body.writeUInt16BE(code, 0);
  const written = body.write(reason, 2);
  if (written + 2 > 125) throw new RangeError('close reason longer than 123 bytes (RFC 6455 §5.5)');
  return body;
}

/** Shortens a reason to 123 UTF-8 bytes without splitting a character. */
function truncateReason(reason: string): string {
  const bytes = Buffer.from(reason, 'utf8');
  if (bytes.length <= 123) return reason;
  let end = 123;
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}
