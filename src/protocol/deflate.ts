import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import { constants as bufferConstants } from 'node:buffer';
import { formatExtension, parseExtensions, type Extension } from './extensions.js';
import { WebSocketError, tooBig } from './errors.js';
import { CloseCode } from './close-codes.js';
import { checkByteCount, checkIntegerRange } from './limits.js';

export const EXTENSION_NAME = 'permessage-deflate';

/** Settings for permessage-deflate (RFC 7692). Every field is optional. */
export interface DeflateOptions {
  /** Messages shorter than this go out uncompressed (allowed at any time, §6). Default 1024. */
  threshold?: number;
  /** zlib compression level, 0–9. Default 6 (zlib's default). */
  level?: number;
  /** zlib memLevel, 1–9. Default 8. */
  memLevel?: number;
  /** Ask the server not to keep its compression context between messages (§7.1.1.1). */
  serverNoContextTakeover?: boolean;
  /** Client: promise not to keep context. Server: ask the client not to (§7.1.1.2). */
  clientNoContextTakeover?: boolean;
  /** Upper bound for the server's LZ77 window, 8–15 (§7.1.2.1). */
  serverMaxWindowBits?: number;
  /** Upper bound for the client's LZ77 window, 8–15 (§7.1.2.2). */
  clientMaxWindowBits?: number;
}

/**
 * The `perMessageDeflate` setting of a client or server: on (default), off,
 * or with settings, checked here so a bad one fails at construction rather
 * than on the first large message. Null means off.
 */
export function deflateSetting(setting: boolean | DeflateOptions | undefined): DeflateOptions | null {
  if (setting === false) return null;
  if (setting === true || setting === undefined) return {};
  if (typeof setting !== 'object' || setting === null) {
    throw new TypeError(`perMessageDeflate must be true, false or an options object, not ${String(setting)}`);
  }
  checkByteCount(setting.threshold, 'perMessageDeflate.threshold', { unlimited: true });
  checkIntegerRange(setting.level, 'perMessageDeflate.level', -1, 9);
  checkIntegerRange(setting.memLevel, 'perMessageDeflate.memLevel', 1, 9);
  checkWindowOption(setting.serverMaxWindowBits, 'perMessageDeflate.serverMaxWindowBits');
  checkWindowOption(setting.clientMaxWindowBits, 'perMessageDeflate.clientMaxWindowBits');
  return setting;
}

/** What one side uses after negotiation: how it compresses, and how its peer does. */
export interface DeflateParams {
  /** Window for our compressor; 0 when we must not compress (see `compressWindowBits`). */
  sendWindowBits: number;
  sendNoContextTakeover: boolean;
  receiveNoContextTakeover: boolean;
  /**
   * The window the peer agreed to compress within (8–15): its messages are
   * inflated with it, so one that refers further back fails (1007, "invalid
   * distance too far back"). Unset: 15, which takes any peer's output.
   */
  receiveWindowBits?: number;
}

/**
 * How much of our window a message of `length` bytes is compressed against.
 * zlib hashes every byte of a preset dictionary before it compresses, so the
 * full 32 KiB window made a 1 KiB message cost about three times as much as
 * a 4 KiB one, for a few bytes less output. A compressor may always reference
 * less than the window (the peer's inflater keeps all of it), so small
 * messages get the recent part only and large ones the whole window.
 */
const dictionaryLength = (length: number): number => Math.max(4096, 4 * length);

/** The 4 octets a sync flush ends with; removed on send, re-added on receive (§7.2.1, §7.2.2). */
const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const MAX_WINDOW_BITS = 15;

/**
 * zlib refuses an 8-bit window for raw deflate and silently uses 9, which
 * could reference bytes beyond a peer's 256-byte window. When the peer asks
 * for 8 we keep the extension but send every message uncompressed, which
 * RFC 7692 §6 always allows.
 */
const compressWindowBits = (bits: number): number => (bits < 9 ? 0 : bits);

function parseWindowBits(value: string | true, allowBare: boolean, name: string): number {
  if (value === true) {
    if (allowBare) return MAX_WINDOW_BITS;
    throw new SyntaxError(`${name} needs a value`);
  }
  if (!/^(?:[89]|1[0-5])$/.test(value)) throw new SyntaxError(`${name}=${value} is not 8–15`);
  return Number(value);
}

interface DeflateElement {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  /** undefined when absent */
  serverMaxWindowBits?: number;
  /** undefined when absent; 15 when present without a value (an offer may do that) */
  clientMaxWindowBits?: number;
}

/** Reads one permessage-deflate element, rejecting unknown, duplicate or malformed parameters (§7). */
function readElement(extension: Extension, isOffer: boolean): DeflateElement {
  const element: DeflateElement = { serverNoContextTakeover: false, clientNoContextTakeover: false };
  const seen = new Set<string>();
  for (const [name, value] of extension.params) {
    if (seen.has(name)) throw new SyntaxError(`duplicate parameter ${name}`);
    seen.add(name);
    switch (name) {
      case 'server_no_context_takeover':
      case 'client_no_context_takeover':
        if (value !== true) throw new SyntaxError(`${name} takes no value`);
        if (name === 'server_no_context_takeover') element.serverNoContextTakeover = true;
        else element.clientNoContextTakeover = true;
        break;
      case 'server_max_window_bits':
        element.serverMaxWindowBits = parseWindowBits(value, false, name);
        break;
      case 'client_max_window_bits':
        element.clientMaxWindowBits = parseWindowBits(value, isOffer, name);
        break;
      default:
        throw new SyntaxError(`unknown parameter ${name}`);
    }
  }
  return element;
}

function checkWindowOption(bits: number | undefined, name: string): void {
  if (bits !== undefined && !(Number.isInteger(bits) && bits >= 8 && bits <= 15)) {
    throw new RangeError(`${name} must be an integer from 8 to 15`);
  }
}

/** The client's offer (§5.1). Advertises client_max_window_bits so servers may shrink our window. */
export function clientOffer(options: DeflateOptions): string {
  checkWindowOption(options.serverMaxWindowBits, 'serverMaxWindowBits');
  checkWindowOption(options.clientMaxWindowBits, 'clientMaxWindowBits');
  const params: Array<[string, string | number | true]> = [];
  if (options.serverNoContextTakeover) params.push(['server_no_context_takeover', true]);
  if (options.clientNoContextTakeover) params.push(['client_no_context_takeover', true]);
  if (options.serverMaxWindowBits !== undefined) params.push(['server_max_window_bits', options.serverMaxWindowBits]);
  params.push(['client_max_window_bits', options.clientMaxWindowBits ?? true]);
  return formatExtension(EXTENSION_NAME, params);
}

/**
 * Validates the server's response to our offer (§7.1). Returns null when the
 * server declined the extension; throws when the response is one a client
 * must fail the connection for.
 */
export function acceptResponse(header: string | undefined, options: DeflateOptions): DeflateParams | null {
  if (header === undefined) return null;
  const extensions = parseExtensions(header);
  if (extensions.length === 0) return null;
  if (extensions.length > 1 || extensions[0].name !== EXTENSION_NAME) {
    throw new SyntaxError(`the server accepted an extension we did not offer: ${header}`);
  }
  const answer = readElement(extensions[0], false);
  if (options.serverNoContextTakeover && !answer.serverNoContextTakeover) {
    throw new SyntaxError('the server ignored server_no_context_takeover (RFC 7692 §7.1.1.1)');
  }
  if (options.serverMaxWindowBits !== undefined
    && (answer.serverMaxWindowBits === undefined || answer.serverMaxWindowBits > options.serverMaxWindowBits)) {
    throw new SyntaxError('the server ignored server_max_window_bits (RFC 7692 §7.1.2.1)');
  }
  if (answer.clientMaxWindowBits !== undefined && options.clientMaxWindowBits !== undefined
    && answer.clientMaxWindowBits > options.clientMaxWindowBits) {
    throw new SyntaxError('client_max_window_bits above what we offered (RFC 7692 §7.1.2.2)');
  }
  return {
    sendWindowBits: compressWindowBits(answer.clientMaxWindowBits ?? options.clientMaxWindowBits ?? MAX_WINDOW_BITS),
    sendNoContextTakeover: answer.clientNoContextTakeover || !!options.clientNoContextTakeover,
    receiveNoContextTakeover: answer.serverNoContextTakeover,
  };
}

/**
 * The server's side of the negotiation (§7.1): accepts the first offer it can
 * honour, declining offers with unknown, duplicate or invalid parameters.
 * Returns the response element and our parameters, or null to decline all.
 */
export function negotiateOffer(header: string | undefined, options: DeflateOptions): { response: string; params: DeflateParams } | null {
  if (header === undefined) return null;
  let extensions: Extension[];
  try {
    extensions = parseExtensions(header);
  } catch {
    return null; // a malformed header is declined, not fatal: the connection can go on uncompressed
  }
  for (const extension of extensions) {
    if (extension.name !== EXTENSION_NAME) continue;
    let offer: DeflateElement;
    try {
      offer = readElement(extension, true);
    } catch {
      continue;
    }
    const response: Array<[string, string | number | true]> = [];
    const serverNoContext = offer.serverNoContextTakeover || !!options.serverNoContextTakeover;
    const clientNoContext = offer.clientNoContextTakeover || !!options.clientNoContextTakeover;
    if (serverNoContext) response.push(['server_no_context_takeover', true]);
    if (clientNoContext) response.push(['client_no_context_takeover', true]);
    let serverBits = offer.serverMaxWindowBits ?? options.serverMaxWindowBits;
    if (serverBits !== undefined) {
      serverBits = Math.min(serverBits, options.serverMaxWindowBits ?? MAX_WINDOW_BITS);
      response.push(['server_max_window_bits', serverBits]);
    }
    // §7.1.2.2: we may only name client_max_window_bits if the client offered it.
    if (offer.clientMaxWindowBits !== undefined && options.clientMaxWindowBits !== undefined) {
      response.push(['client_max_window_bits', Math.min(offer.clientMaxWindowBits, options.clientMaxWindowBits)]);
    }
    return {
      response: formatExtension(EXTENSION_NAME, response),
      params: {
        sendWindowBits: compressWindowBits(serverBits ?? MAX_WINDOW_BITS),
        sendNoContextTakeover: serverNoContext,
        receiveNoContextTakeover: clientNoContext,
      },
    };
  }
  return null;
}

/**
 * The last `size` bytes that went through one direction's compressor, which
 * is exactly the LZ77 window the peer's context holds. Grows lazily up to
 * twice the window so appends are amortised O(n).
 */
class History {
  private buffer: Buffer | null = null;
  private used = 0;
  constructor(private readonly size: number) {}

  /** The window's last `limit` bytes (all of it by default), or undefined while empty. */
  view(limit = this.size): Buffer | undefined {
    return this.used === 0 ? undefined : this.buffer!.subarray(Math.max(0, this.used - Math.min(limit, this.size)), this.used);
  }

  append(data: Uint8Array): void {
    const n = data.length;
    if (n === 0) return;
    if (n >= this.size) {
      if (this.buffer === null || this.buffer.length < this.size) this.buffer = Buffer.allocUnsafe(this.size);
      this.buffer.set(data.subarray(n - this.size));
      this.used = this.size;
      return;
    }
    const capacity = this.buffer?.length ?? 0;
    if (this.used + n > capacity) {
      const keep = Math.min(this.used, this.size - n);
      if (capacity < 2 * this.size) {
        const grown = Buffer.allocUnsafe(Math.min(2 * this.size, Math.max(2 * (keep + n), 1024)));
        if (keep > 0) this.buffer!.copy(grown, 0, this.used - keep, this.used);
        this.buffer = grown;
      } else {
        this.buffer!.copy(this.buffer!, 0, this.used - keep, this.used);
      }
      this.used = keep;
    }
    this.buffer!.set(data, this.used);
    this.used += n;
  }

  reset(): void {
    this.buffer = null;
    this.used = 0;
  }
}

/**
 * The permessage-deflate codec for one connection. Each message is one
 * synchronous zlib call; context takeover is kept by handing zlib the
 * previous window as a preset dictionary (valid for raw deflate, RFC 1951).
 * So no zlib stream lives between messages: an idle connection holds at most
 * the two windows, messages can never reorder, and a bomb is cut off by
 * zlib's own output limit before the memory is allocated.
 */
export class PerMessageDeflate {
  readonly threshold: number;
  private readonly level: number;
  private readonly memLevel: number;
  private readonly sendHistory: History | null;
  private readonly receiveHistory: History | null;

  constructor(readonly params: DeflateParams, options: DeflateOptions = {}) {
    this.threshold = options.threshold ?? 1024;
    this.level = options.level ?? constants.Z_DEFAULT_COMPRESSION;
    this.memLevel = options.memLevel ?? 8;
    this.sendHistory = params.sendNoContextTakeover || params.sendWindowBits === 0 ? null : new History(1 << params.sendWindowBits);
    this.receiveHistory = params.receiveNoContextTakeover ? null : new History(1 << (params.receiveWindowBits ?? MAX_WINDOW_BITS));
  }

  /** Whether a message of this many bytes should be compressed. */
  shouldCompress(length: number): boolean {
    return this.params.sendWindowBits !== 0 && length >= this.threshold;
  }

  /** One message's compressed payload, without the sync-flush trailer (§7.2.1). */
  compress(data: Uint8Array): Buffer {
    const out = deflateRawSync(data, {
      finishFlush: constants.Z_SYNC_FLUSH,
      windowBits: this.params.sendWindowBits,
      level: this.level,
      memLevel: this.memLevel,
      dictionary: this.sendHistory?.view(dictionaryLength(data.length)),
    });
    this.sendHistory?.append(data);
    return out.subarray(0, out.length - TRAILER.length);
  }

  /**
   * Inflates one message from its frames' payloads (§7.2.2). The output is
   * capped at `limit` bytes: past it zlib stops and we fail with 1009.
   * "Unlimited" (Infinity, or anything above what one Buffer can hold) is
   * capped at the largest Buffer, which zlib accepts as a limit.
   */
  decompress(fragments: Buffer[], limit: number): Buffer {
    fragments.push(TRAILER);
    const input = Buffer.concat(fragments);
    const outputLimit = Math.min(Math.max(1, limit), bufferConstants.MAX_LENGTH);
    let out: Buffer;
    try {
      out = inflateRawSync(input, {
        finishFlush: constants.Z_SYNC_FLUSH,
        windowBits: this.params.receiveWindowBits ?? MAX_WINDOW_BITS,
        dictionary: this.receiveHistory?.view(),
        maxOutputLength: outputLimit,
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooBig(Math.min(limit, outputLimit));
      throw new WebSocketError('WS_ERR_INFLATE', CloseCode.INVALID_PAYLOAD, `invalid compressed data: ${(error as Error).message} (RFC 7692 §7.2.2)`);
    }
    this.receiveHistory?.append(out);
    return out;
  }

  /** Frees the windows once the connection is closed. */
  dispose(): void {
    this.sendHistory?.reset();
    this.receiveHistory?.reset();
  }
}
