import http2 from 'node:http2';
import type { CaseRun } from './case.js';
import { FuzzPeer, type PeerOptions } from './peer.js';
import { offerText, readResponse } from './deflate.js';
import { streamAsSocket } from '../transport/http2-stream.js';
import type { PerMessageDeflate } from '../protocol/deflate.js';

/**
 * The fuzzer's client side over HTTP/2 (RFC 8441): each case gets its own
 * session (as each gets its own TCP connection over HTTP/1.1) and plays on
 * one extended-CONNECT stream. A stream has two halves where TCP, as the
 * suite treats it, has one connection: when the server ends its half we
 * end ours, so "the server dropped the connection" reads as over TCP.
 */

interface Http2Target {
  secure: boolean;
  host: string;
  port: number;
  hostHeader: string;
  resource: string;
  openHandshakeTimeout?: number;
  peer?: PeerOptions;
}

/** Opens the stream, sets `run`'s request and response texts, and resolves with the peer ready to play; throws why it could not. */
export async function openCaseStream(target: Http2Target, run: CaseRun, offers: string | undefined, seconds: number): Promise<{ peer: FuzzPeer; close: () => void }> {
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  const session = http2.connect(`${target.secure ? 'https' : 'http'}://${host}:${target.port}`, {
    rejectUnauthorized: false,
    settings: { enablePush: false },
  });
  session.on('error', () => {});
  const timer = setTimeout(() => session.destroy(new Error(`no opening handshake within ${seconds} s`)), seconds * 1000);
  try {
    await new Promise<void>((resolve, reject) => {
      session.once('remoteSettings', () => resolve());
      session.once('error', reject);
      session.once('close', () => reject(new Error('the server closed the HTTP/2 session before its SETTINGS')));
    });
    if (session.remoteSettings.enableConnectProtocol !== true) throw new Error('the server did not advertise SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441 §3)');
    const headers: http2.OutgoingHttpHeaders = {
      ':method': 'CONNECT', ':protocol': 'websocket', ':scheme': target.secure ? 'https' : 'http', ':path': target.resource,
      ':authority': target.hostHeader, 'sec-websocket-version': '13',
    };
    if (offers) headers['sec-websocket-extensions'] = offers;
    run.httpRequest = Object.entries(headers).map(([name, value]) => `${name}: ${String(value)}`).join('\r\n');
    const stream = session.request(headers, { endStream: false });
    stream.on('error', () => {});
    const response = await new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
      stream.once('response', resolve);
      stream.once('close', () => reject(new Error(`the server reset the stream (code ${stream.rstCode}) during the opening handshake`)));
      session.once('error', reject);
    });
    run.httpResponse = Object.entries(response).map(([name, value]) => `${name}: ${String(value)}`).join('\r\n');
    run.serverHeader = typeof response.server === 'string' ? response.server : undefined;
    if (Number(response[':status']) !== 200) throw new Error(`unexpected HTTP status ${response[':status']}`);
    const extensions = typeof response['sec-websocket-extensions'] === 'string' ? response['sec-websocket-extensions'] : undefined;
    if (run.definition.deflate === undefined && extensions) throw new Error(`the server accepted extensions we did not offer: ${extensions}`);
    const deflate: PerMessageDeflate | null = readResponse(extensions);
    stream.pause();
    stream.once('end', () => stream.end());
    stream.once('close', () => session.close());
    const peer = new FuzzPeer(streamAsSocket(stream, session), 'client', run, target.peer);
    peer.deflate = deflate;
    return { peer, close: () => session.destroy() };
  } catch (error) {
    session.destroy();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

export const offersFor = (run: CaseRun): string | undefined => run.definition.deflate?.offers.map(offerText).join(', ');
