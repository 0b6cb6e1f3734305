import http2 from 'node:http2';
import type { Socket } from 'node:net';

/**
 * An HTTP/2 stream as the socket a `WebSocket` runs on (RFC 8441: once
 * the CONNECT is answered, the stream's DATA frames carry the WebSocket
 * frames unchanged). A stream already is a Duplex with the flow control
 * `WebSocket` relies on (`write` returns false and `writableLength` grows
 * while the peer's window is shut; `pause` stops reading, so our window
 * stays shut and the peer stops). What it lacks is added to the instance
 * here, the one place that does so:
 *
 * - `remoteAddress`/`remotePort`: the session's TCP peer;
 * - `setNoDelay`: the session's socket has it already, a stream has none;
 * - `destroy()`: an abnormal closure resets only this stream with CANCEL
 *   (RFC 8441 §5, the equivalent of a TCP reset), never the session;
 *   a stream's own destroy() without an error would send NO_ERROR.
 */
export type StreamSocket = Socket & http2.Http2Stream;

export function streamAsSocket(stream: http2.Http2Stream, session: http2.Http2Session): StreamSocket {
  const tcp = session.socket;
  const socket = stream as StreamSocket;
  Object.defineProperties(socket, {
    remoteAddress: { value: tcp?.remoteAddress, configurable: true },
    remotePort: { value: tcp?.remotePort, configurable: true },
  });
  socket.setNoDelay = noDelay;
  socket.destroy = destroyWithCancel as StreamSocket['destroy'];
  return socket;
}

function noDelay(this: StreamSocket): StreamSocket {
  return this;
}

function destroyWithCancel(this: http2.Http2Stream, error?: Error): http2.Http2Stream {
  if (error === undefined && !this.closed && !this.destroyed) {
    this.close(http2.constants.NGHTTP2_CANCEL);
    return this;
  }
  return Object.getPrototypeOf(this).destroy.call(this, error) as http2.Http2Stream;
}

/** The HTTP/2 error code a refused or failed stream is reset with, by what went wrong (RFC 9113 §7). */
export const RESET_CODES = {
  /** An abnormal WebSocket closure, or a client giving up (RFC 8441 §5). */
  cancel: http2.constants.NGHTTP2_CANCEL,
  /** The server is shutting down or over a limit. */
  refused: http2.constants.NGHTTP2_REFUSED_STREAM,
  /** Our own bug. */
  internal: http2.constants.NGHTTP2_INTERNAL_ERROR,
} as const;
