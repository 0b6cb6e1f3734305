import { encodeFrame } from '../protocol/frame.js';

/** A frame as a case describes it: any opcode, any RSV bits, masked or not, FIN or not. */
export interface RawFrame {
  /** 0–15, reserved ones included. */
  opcode: number;
  payload?: Buffer;
  /** Default true. */
  fin?: boolean;
  /** The three RSV bits as a number 0–7 (RSV1 is 4). Default 0. */
  rsv?: number;
  /** The 4 masking-key octets; null sends the frame unmasked. Default: masked when we are the client. */
  mask?: Buffer | null;
  /** Send this many payload octets, repeating `payload` (the suite's `payload_len`). */
  payloadLength?: number;
  /** Write the frame in pieces of this many octets, one per turn of the event loop. */
  chopSize?: number;
  /** Write the frame on its own turn of the event loop, after what is queued. */
  sync?: boolean;
}

/** `payload` repeated to `length` octets. */
export function repeatPayload(payload: Buffer, length: number): Buffer {
  if (length === payload.length) return payload;
  if (payload.length === 0) throw new RangeError(`cannot repeat an empty payload to ${length} octets`);
  return Buffer.alloc(length, payload);
}

/**
 * The octets of one frame (RFC 6455 §5.2), valid or not, built with the
 * protocol core's encoder: the first octet carries whatever FIN, RSV and
 * opcode the case asks for. Returns the unmasked payload too, for the log.
 */
export function encodeRawFrame(spec: RawFrame): { bytes: Buffer; payload: Buffer } {
  const base = spec.payload ?? Buffer.alloc(0);
  const payload = spec.payloadLength === undefined ? base : repeatPayload(base, spec.payloadLength);
  const firstByte = ((spec.fin ?? true) ? 0x80 : 0) | (((spec.rsv ?? 0) & 7) << 4) | (spec.opcode & 0x0f);
  const out: Buffer[] = [];
  encodeFrame(out, firstByte, payload, spec.mask ? spec.mask.readUInt32BE(0) : null);
  return { bytes: out.length === 1 ? out[0] : Buffer.concat(out), payload };
}
