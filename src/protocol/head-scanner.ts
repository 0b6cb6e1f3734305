import { HandshakeError } from './handshake.js';

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const DEL = 0x7f;
/** "HTTP/1.0 101": enough of a status line to tell an HTTP/1.0 switch. */
const STATUS_PREFIX = 12;

/**
 * Checks a response head byte by byte as it arrives, so a peer that breaks
 * the framing rules is refused at once instead of leaving us waiting for a
 * CRLF CRLF that never comes (until the timeout). Stops at the end of the
 * head: what follows is WebSocket frames or a body.
 */
export class HeadScanner {
  private previous = 0;
  /** CRLFs seen in a row: two end the head. */
  private lineEnds = 0;
  private done = false;
  private statusStart = '';
  private inStatusLine = true;

  scan(chunk: Buffer): void {
    if (this.done) return;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      if (byte === LF) {
        // RFC 9112 §2.2: a bare LF "MAY" be accepted; we do not, as python-websockets does not.
        if (this.previous !== CR) throw new HandshakeError('bare LF line ending in the response head: HTTP needs CRLF (RFC 9112 §2.2)');
        if (this.inStatusLine) this.endStatusLine();
        if (++this.lineEnds === 2) {
          this.done = true;
          return;
        }
      } else if (this.previous === CR) {
        throw new HandshakeError('bare CR in the response head (RFC 9112 §2.2)');
      } else if (byte !== CR) {
        this.lineEnds = 0;
        // RFC 9110 §5.5: field values hold no NUL or other control character but tab.
        if ((byte < 0x20 && byte !== TAB) || byte === DEL) {
          throw new HandshakeError(`control character 0x${byte.toString(16).padStart(2, '0')} in the response head (RFC 9110 §5.5)`);
        }
        if (this.inStatusLine && this.statusStart.length < STATUS_PREFIX) {
          this.statusStart += String.fromCharCode(byte);
          if (this.statusStart.length === STATUS_PREFIX) this.checkStatus();
        }
      }
      this.previous = byte;
    }
  }

  private endStatusLine(): void {
    this.inStatusLine = false;
    this.checkStatus();
  }

  private checkStatus(): void {
    if (this.statusStart === 'HTTP/1.0 101') {
      throw new HandshakeError('the server switched protocols over HTTP/1.0: RFC 6455 §4.1 needs HTTP/1.1');
    }
  }
}
