import { ConnectError, type ConnectErrorCode } from '../protocol/connect-error.js';

// The class is pure (the URL check in src/protocol throws it too); what maps Node's socket errors to it is here.
export { ConnectError, type ConnectErrorCode, type RefusalDetails } from '../protocol/connect-error.js';

const ERRNO_TEXT: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by peer',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
};

const isTlsError = (code: string, message: string): boolean =>
  code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || code.includes('CERT') || /certificate|SSL|TLS/i.test(message);

/** A socket error as a ConnectError; `where` names the hop ("proxy 10.0.0.1:3128: ") when it is not the server. */
export function describeSocketError(error: NodeJS.ErrnoException, options: { tls: boolean; where?: string }): ConnectError {
  const errno = error.code ?? '';
  const where = options.where ?? '';
  const known = ERRNO_TEXT[errno];
  if (known) return new ConnectError(`${where}${known} (${error.message})`, errno as ConnectErrorCode, { cause: error });
  if (options.tls && isTlsError(errno, error.message)) return new ConnectError(`${where}TLS: ${error.message}`, 'ERR_TLS', { cause: error });
  return new ConnectError(`${where}${error.message}`, 'ERR_CONNECT', { cause: error });
}
