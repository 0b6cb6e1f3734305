// --junit and --strict: JUnit XML read back by a real consumer (Python's
// xml.etree), and the exit code NON-STRICT gives with and without --strict.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type net from 'node:net';
import { main } from '../../src/fuzz/command.js';
import { junitXml, xmlEscape } from '../../src/fuzz/junit.js';
import type { CaseRecord } from '../../src/fuzz/case-record.js';
import { acceptKey } from '../../src/protocol/handshake.js';
import { frame, parseFrames, quiet, rawServer } from '../helpers.js';

const PYTHON = '/usr/bin/python3';

/** Reads a JUnit file the way CI reporters do, with xml.etree: the suites, their counts and each case's verdict. */
function readJUnit(file: string): { totals: Record<string, string>; suites: Array<{ name: string; tests: number; failures: number; properties: Record<string, string>; cases: Array<{ name: string; failure: string | null; out: string }> }> } {
  const script = `
import json, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == 'testsuites', root.tag
suites = []
for s in root.findall('testsuite'):
    for attr in ('name', 'tests', 'failures', 'errors', 'time', 'timestamp', 'hostname', 'id', 'package'):
        assert attr in s.attrib, (attr, s.attrib)
    cases = []
    for c in s.findall('testcase'):
        for attr in ('name', 'classname', 'time'):
            assert attr in c.attrib, attr
        float(c.get('time'))
        f = c.find('failure')
        if f is not None:
            assert 'message' in f.attrib and 'type' in f.attrib
        cases.append({'name': c.get('name'), 'failure': None if f is None else f.get('message'), 'out': c.findtext('system-out') or ''})
    assert len(cases) == int(s.get('tests'))
    assert sum(1 for c in cases if c['failure']) == int(s.get('failures'))
    props = {p.get('name'): p.get('value') for p in s.find('properties').findall('property')}
    suites.append({'name': s.get('name'), 'tests': int(s.get('tests')), 'failures': int(s.get('failures')), 'properties': props, 'cases': cases})
print(json.dumps({'totals': dict(root.attrib), 'suites': suites}))
`;
  const result = spawnSync(PYTHON, ['-c', script, file], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout);
}

/** Accepts any upgrade (two Hosts, a version list...) and echoes: FAILED for 14.1.2, NON-STRICT for 14.4.4, OK for 1.1.1. */
async function lenientServer() {
  return rawServer((socket: net.Socket, request: string) => {
    const key = /sec-websocket-key:[ \t]*([^\r\n,]*)/i.exec(request)?.[1]?.trim() ?? '';
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(key)}\r\n\r\n`);
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      const { frames, rest } = parseFrames(Buffer.concat([pending, chunk]));
      pending = rest;
      for (const f of frames) {
        if (f.opcode === 8) return void socket.end(frame(0x88, Buffer.from([0x03, 0xe8])));
        socket.write(frame(0x80 | f.opcode, f.payload));
      }
    });
  });
}

test('--junit writes JUnit XML that xml.etree reads: a suite per category, FAILED as failure, NON-STRICT a property; --strict makes it a failure', { skip: existsSync(PYTHON) ? false : `${PYTHON} is not installed`, timeout: 60_000 }, async () => {
  const server = await lenientServer();
  const dir = mkdtempSync(join(tmpdir(), 'fuzz-junit-'));
  const url = `ws://127.0.0.1:${server.port}/`;
  try {
    const cases = ['1.1.1', '14.1.2', '14.4.4'].join(',');
    assert.equal(await quiet(() => main(['server', url, '--cases', cases, '--outdir', join(dir, 'r1'), '--agent', 'lenient', '--junit', join(dir, 'plain.xml')])), 1);
    const plain = readJUnit(join(dir, 'plain.xml'));
    assert.deepEqual(plain.suites.map((s) => [s.name, s.tests, s.failures]), [['1 Framing', 1, 0], ['14 Opening Handshake', 2, 1]]);
    const handshake = plain.suites[1];
    assert.match(handshake.cases[0].name, /^14\.1\.2 Two Host lines/);
    assert.match(handshake.cases[0].failure!, /^FAILED: The server opened the connection; RFC 9112 §3\.2/);
    assert.equal(handshake.cases[1].failure, null);
    assert.match(handshake.properties['14.4.4 verdict'], /^NON-STRICT: /);
    assert.match(handshake.cases[0].out, /--- request\nGET \/ HTTP\/1\.1\r?\nHost: 127\.0\.0\.1:\d+\r?\n(.|\n)*Host: 127\.0\.0\.1/);
    assert.match(plain.suites[0].cases[0].out, /--- wire log\n\["TF",\[0,""\],1,true/);
    assert.equal(plain.totals.failures, '1');

    assert.equal(await quiet(() => main(['server', url, '--cases', cases, '--outdir', join(dir, 'r2'), '--agent', 'lenient', '--junit', join(dir, 'strict.xml'), '--strict'])), 1);
    const strict = readJUnit(join(dir, 'strict.xml'));
    assert.equal(strict.suites[1].failures, 2);
    assert.match(strict.suites[1].cases[1].failure!, /^NON-STRICT: Opened the connection/);

    // The exit code: NON-STRICT alone passes, and fails under --strict.
    assert.equal(await quiet(() => main(['server', url, '--cases', '14.4.4', '--outdir', join(dir, 'r3')])), 0);
    assert.equal(await quiet(() => main(['server', url, '--cases', '14.4.4', '--outdir', join(dir, 'r3'), '--strict'])), 1);
  } finally {
    server.close();
  }
});

test('JUnit text is escaped, and characters XML cannot hold are shown, not written', () => {
  assert.equal(xmlEscape('<a b="c">&\'\x00\x1b'), '&lt;a b=&quot;c&quot;&gt;&amp;&apos;\\x00\\x1b');
  const record = {
    id: '1.1.1', agent: 'a', behavior: 'FAILED', behaviorClose: 'OK', duration: 5, remoteCloseCode: null, reportfile: '', description: 'd',
    expectation: 'e', result: 'bad \x07 bell', resultClose: '', httpRequest: 'GET / HTTP/1.1\r\n', httpResponse: '?', wirelog: [['RO', [1, '07']]],
  } as CaseRecord;
  const xml = junitXml('a', [record], { allowNonStrict: true, allowUnimplemented: false });
  assert.doesNotMatch(xml, /[\x00-\x08\x0b\x0c\x0e-\x1f]/);
  assert.match(xml, /<failure message="FAILED: bad \\x07 bell" type="FAILED">/);
});
