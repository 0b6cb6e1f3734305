import { acceptResponse, clientOffer, type DeflateOptions, type DeflateParams } from './deflate.js';
import {
  DEFAULT_MAX_HEAD_SIZE, HandshakeError, HeadReader, buildClientRequest, checkHeaders, checkServerResponse, generateKey,
  parseResponseHead, type ResponseHead,
} from './handshake.js';
import { checkProtocols } from './subprotocols.js';
import { BodyReader, MAX_REFUSAL_BODY } from './body-reader.js';
import { HeadScanner } from './head-scanner.js';

export { MAX_REFUSAL_BODY };

export interface ClientHandshakeOptions {
  /** Host header value: the URL's host, with the port when it is not the scheme's default (§4.1 item 4). */
  host: string;
  /** Path and query, "/" at least (§4.1 item 3). */
  resource: string;
  /** The caller's extra headers; checked here, before anything is sent. */
  headers?: Record<string, unknown> | null;
  /** Subprotocols to offer (§4.1 item 10), in our order of preference. */
  protocols?: unknown;
  /** permessage-deflate settings to offer (RFC 7692), or null not to offer it. */
  deflate?: DeflateOptions | null;
  /** Largest response head accepted. Default 16 KiB. */
  maxHeadSize?: number;
  /** Sec-WebSocket-Key; random unless given (tests). */
  key?: string;
}

/** The server's answer as received: status line, lower-cased headers, and the head as text. */
export interface HandshakeResponse extends ResponseHead {
  /** The response head as it came (latin1), without the blank line. */
  head: string;
}

/** What the server agreed to (§4.1): the connection may open. */
export interface Accepted {
  accepted: true;
  response: HandshakeResponse;
  /** The chosen subprotocol, "" when the server chose none. */
  protocol: string;
  /** The Sec-WebSocket-Extensions answer in force, "" when none. */
  extensions: string;
  /** Negotiated permessage-deflate parameters, null when it is off. */
  deflate: DeflateParams | null;
  /** Bytes after the head: the first frames, if the server sent them at once. */
  rest: Buffer;
}

/** A complete non-101 answer (python-websockets' InvalidStatus): the status, headers and up to 4 KiB of body. */
export interface Refused {
  accepted: false;
  response: HandshakeResponse;
  body: Buffer;
}

export type HandshakeOutcome = Accepted | Refused;

/**
 * The client's opening handshake (RFC 6455 §4.1) without I/O: builds the
 * request, then takes the server's bytes as they arrive and decides. The
 * caller writes `request`, feeds `receiveData` until it returns an outcome,
 * and calls `receiveEof` if the server closes first. Anything a client must
 * fail the connection for throws a HandshakeError as soon as it is seen.
 */
export class ClientHandshake {
  readonly key: string;
  /** The request head as text (without the blank line), for `ws.handshake.request`. */
  readonly requestHead: string;
  /** The request as sent: latin1, so header values up to U+00FF go out as one byte each, as node:http sends them. */
  readonly request: Buffer;
  readonly protocols: readonly string[];

  private readonly deflate: DeflateOptions | null;
  private readonly head: HeadReader;
  private readonly scanner = new HeadScanner();
  private response: HandshakeResponse | null = null;
  private body: BodyReader | null = null;

  /** Throws a TypeError for bad headers or subprotocols: nothing has been sent. */
  constructor(options: ClientHandshakeOptions) {
    const headers = checkHeaders(options.headers);
    this.protocols = checkProtocols(options.protocols);
    this.deflate = options.deflate ?? null;
    this.key = options.key ?? generateKey();
    this.head = new HeadReader(options.maxHeadSize ?? DEFAULT_MAX_HEAD_SIZE);
    const text = buildClientRequest({
      host: options.host,
      resource: options.resource,
      key: this.key,
      extensions: this.deflate === null ? undefined : clientOffer(this.deflate),
      protocols: this.protocols,
      headers,
    });
    this.requestHead = text.slice(0, -4);
    this.request = Buffer.from(text, 'latin1');
  }

  /** Feeds bytes from the server; returns the outcome once there is one, null while more is needed. */
  receiveData(chunk: Buffer): HandshakeOutcome | null {
    if (this.body !== null) return this.body.push(chunk) ? this.refused() : null;
    this.scanner.scan(chunk);
    const done = this.head.push(chunk);
    if (done === null) return null;
    const response: HandshakeResponse = { ...parseResponseHead(done.head), head: done.head };
    this.response = response;
    if (response.status === 101) return this.accept(response, done.rest);
    this.body = new BodyReader(response.status, response.headers);
    return this.body.push(done.rest) ? this.refused() : null;
  }

  /**
   * The server closed (or the caller gives up waiting): a refusal whose body
   * runs until close is complete now; anything else is a failed handshake.
   */
  receiveEof(): Refused {
    if (this.body === null) throw new HandshakeError('the server closed the connection before completing the handshake');
    return this.refused();
  }

  /** Whether a refusal's head has arrived and only its body is still coming. */
  get readingRefusal(): boolean {
    return this.body !== null;
  }

  private refused(): Refused {
    return { accepted: false, response: this.response!, body: this.body!.body() };
  }

  private accept(response: HandshakeResponse, rest: Buffer): Accepted {
    checkServerResponse(response, this.key, this.protocols);
    const header = response.headers.get('sec-websocket-extensions');
    const deflate = acceptedExtensions(header, this.deflate);
    return {
      accepted: true,
      response,
      protocol: response.headers.get('sec-websocket-protocol') ?? '',
      extensions: deflate === null ? '' : header!,
      deflate,
      rest,
    };
  }
}

/**
 * The permessage-deflate parameters a server's Sec-WebSocket-Extensions
 * answer agreed to, for what we offered (`null`: nothing); over HTTP/1.1 and
 * HTTP/2 alike. §4.1: an extension we did not ask for fails the connection.
 */
export function acceptedExtensions(header: string | undefined, offered: DeflateOptions | null): DeflateParams | null {
  if (offered === null) {
    if (header !== undefined && header.trim() !== '') throw new HandshakeError(`the server accepted an extension we did not offer: ${header}`);
    return null;
  }
  try {
    return acceptResponse(header, offered);
  } catch (error) {
    throw new HandshakeError(`invalid Sec-WebSocket-Extensions answer: ${(error as Error).message}`);
  }
}
