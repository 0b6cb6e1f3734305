import type { Socket } from 'node:net';

/** A sans-I/O answer reader: the handshake, or a proxy's answer to CONNECT. */
export interface AnswerParser<T> {
  /** Returns the outcome once there is one, null while more bytes are needed; throws on a bad answer. */
  receiveData(chunk: Buffer): T | null;
  /** The peer closed, or time ran out: the outcome so far, or a throw when there is none. */
  receiveEof(): T;
}

/**
 * Runs one step of connecting on a socket: settles on `done`, a socket
 * error, or `signal` aborting (the connect timeout), whichever comes first,
 * and removes its listeners either way. On failure the socket is destroyed.
 */
function step<T>(
  socket: Socket,
  signal: AbortSignal,
  run: (settle: { resolve: (value: T) => void; reject: (error: unknown) => void }) => { onClose: () => void; onAbort?: () => void; stop: () => void },
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) {
      socket.destroy();
      return reject(signal.reason);
    }
    let settled = false;
    /** Whether this is the first outcome; then the step's listeners go. */
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      socket.removeListener('error', fail);
      socket.removeListener('close', handlers.onClose);
      signal.removeEventListener('abort', onAbort);
      handlers.stop();
      return true;
    };
    const succeed = (value: T) => {
      if (settle()) resolve(value);
    };
    const fail = (error: unknown) => {
      if (!settle()) return;
      socket.destroy();
      reject(error);
    };
    const onAbort = () => (handlers.onAbort ? handlers.onAbort() : fail(signal.reason));
    const handlers = run({ resolve: succeed, reject: fail });
    socket.on('error', fail);
    socket.on('close', handlers.onClose);
    signal.addEventListener('abort', onAbort);
  });
}

/** Waits for a socket to be connected: 'connect' for TCP, 'secureConnect' for TLS. */
export function opened<S extends Socket>(socket: S, event: 'connect' | 'secureConnect', signal: AbortSignal): Promise<S> {
  return step<S>(socket, signal, ({ resolve, reject }) => {
    const onOpen = () => resolve(socket);
    socket.once(event, onOpen);
    return {
      onClose: () => reject(Object.assign(new Error('socket closed while connecting'), { code: 'ECONNRESET' })),
      stop: () => socket.removeListener(event, onOpen),
    };
  });
}

/**
 * Writes a request and feeds the answer to `parser` until it decides. The
 * socket is left paused on success, so nothing the peer sends next is lost
 * before the caller attaches its own reader. When time runs out the parser
 * gets one last say (a refusal whose body runs until close is complete then).
 */
export function exchange<T>(socket: Socket, request: Buffer, parser: AnswerParser<T>, signal: AbortSignal): Promise<T> {
  return step<T>(socket, signal, ({ resolve, reject }) => {
    const decide = (read: () => T | null) => {
      let outcome: T | null;
      try {
        outcome = read();
      } catch (error) {
        return reject(error);
      }
      if (outcome === null) return;
      socket.pause();
      resolve(outcome);
    };
    const onData = (chunk: Buffer) => decide(() => parser.receiveData(chunk));
    socket.on('data', onData);
    socket.resume();
    socket.write(request);
    return {
      onClose: () => decide(() => parser.receiveEof()),
      onAbort: () => {
        try {
          resolve(parser.receiveEof());
        } catch {
          reject(signal.reason);
        }
      },
      stop: () => socket.removeListener('data', onData),
    };
  });
}
