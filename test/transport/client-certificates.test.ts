// Mutual TLS: a CA, a server certificate and client certificates made by
// openssl, against our server with requestCert and rejectUnauthorized.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, ConnectError } from '../../src/transport/client.js';
import { echo, startServer } from '../helpers.js';

interface Pki {
  ca: Buffer;
  server: { key: Buffer; cert: Buffer };
  client: { key: Buffer; cert: Buffer; pfx: Buffer };
  stranger: { key: Buffer; cert: Buffer };
}

/** A CA signing a server and a client certificate; a "stranger" client certificate that signs itself. */
function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'sws-mtls-'));
  const path = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', path('ca.key'), '-out', path('ca.pem'), '-days', '2', '-subj', '/CN=Test CA');
  const issue = (name: string, subject: string, extension: string) => {
    openssl('req', ...ec, '-keyout', path(`${name}.key`), '-out', path(`${name}.csr`), '-subj', subject);
    openssl('x509', '-req', '-in', path(`${name}.csr`), '-CA', path('ca.pem'), '-CAkey', path('ca.key'), '-CAcreateserial',
      '-out', path(`${name}.pem`), '-days', '2', '-extfile', path(`${name}.ext`));
    return extension;
  };
  const ext = (name: string, text: string) => execFileSync('sh', ['-c', `printf '%s\\n' "$1" > "$2"`, 'sh', text, path(`${name}.ext`)]);
  ext('server', 'subjectAltName=DNS:localhost,IP:127.0.0.1');
  issue('server', '/CN=localhost', '');
  ext('client', 'extendedKeyUsage=clientAuth');
  issue('client', '/CN=alice', '');
  openssl('pkcs12', '-export', '-in', path('client.pem'), '-inkey', path('client.key'), '-out', path('client.p12'), '-passout', 'pass:p12-secret');
  openssl('req', '-x509', ...ec, '-keyout', path('stranger.key'), '-out', path('stranger.pem'), '-days', '2', '-subj', '/CN=mallory');
  const read = (name: string) => readFileSync(path(name));
  return {
    ca: read('ca.pem'),
    server: { key: read('server.key'), cert: read('server.pem') },
    client: { key: read('client.key'), cert: read('client.pem'), pfx: read('client.p12') },
    stranger: { key: read('stranger.key'), cert: read('stranger.pem') },
  };
}

describe('client certificates (mutual TLS)', () => {
  let pki: Pki;
  let server: Awaited<ReturnType<typeof startServer>>;
  before(async () => {
    pki = makePki();
    server = await startServer({ '/': echo }, { tls: { ...pki.server, ca: pki.ca, requestCert: true, rejectUnauthorized: true } });
  });
  after(() => server?.server.close());

  test('cert and key: the handshake succeeds and messages flow', async () => {
    const ws = await connect(`wss://localhost:${server.port}/`, { ca: pki.ca, cert: pki.client.cert, key: pki.client.key });
    await ws.send('mutual');
    assert.equal(await ws.receive(5000), 'mutual');
    await ws.close();
  });

  test('pfx with its passphrase', async () => {
    const ws = await connect(`wss://127.0.0.1:${server.port}/`, { ca: pki.ca, pfx: pki.client.pfx, passphrase: 'p12-secret' });
    await ws.send('from pfx');
    assert.equal(await ws.receive(5000), 'from pfx');
    await ws.close();
  });

  test('without a certificate, or with one the server does not trust, the connection fails', async () => {
    const refused = (e: ConnectError) => {
      assert.ok(e instanceof ConnectError, String(e));
      // TLS 1.3: the server checks our certificate after our side of the TLS handshake, so its
      // refusal arrives as an alert (ERR_TLS) or, when the close wins the race, as a closed handshake.
      assert.ok(e.code === 'ERR_TLS' || e.code === 'ERR_HANDSHAKE', e.message);
      assert.match(e.message, /^websocket connect failed: (TLS: .*alert|the server closed the connection before completing the handshake)/);
      return true;
    };
    await assert.rejects(connect(`wss://localhost:${server.port}/`, { ca: pki.ca, timeout: 5000 }), refused);
    await assert.rejects(connect(`wss://localhost:${server.port}/`, { ca: pki.ca, timeout: 5000, ...pki.stranger }), refused);
  });

  test('a wrong pfx passphrase or a key that does not match is ERR_TLS before connecting', async () => {
    let connections = 0;
    const counter = net.createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => counter.listen(0, '127.0.0.1', resolve));
    const url = `wss://localhost:${(counter.address() as net.AddressInfo).port}/`;
    await assert.rejects(connect(url, { ca: pki.ca, pfx: pki.client.pfx, passphrase: 'wrong' }), (e: ConnectError) => {
      assert.equal(e.code, 'ERR_TLS');
      assert.match(e.message, /^websocket connect failed: TLS options: .*mac verify failure/);
      return true;
    });
    await assert.rejects(connect(url, { ca: pki.ca, cert: pki.client.cert, key: pki.stranger.key }), (e: ConnectError) => {
      assert.equal(e.code, 'ERR_TLS');
      assert.match(e.message, /^websocket connect failed: TLS options: .*key values mismatch/);
      return true;
    });
    counter.close();
    assert.equal(connections, 0);
  });
});
