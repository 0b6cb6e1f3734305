import { CLEAN_CLOSE, bytes, filled, peerFails, text, type CaseDefinition } from './common.js';

function pingCase(id: string, description: string, payload: Buffer, chopSize = 0, wait = 1): CaseDefinition {
  return {
    id,
    description,
    expectation: 'A Pong with the same payload answers the Ping (RFC 6455 §5.5.3); clean close with 1000.',
    open(run) {
      run.expect('OK', [['pong', payload]]);
      run.expectedClose = CLEAN_CLOSE;
      run.peer.sendFrame({ opcode: 9, payload, chopSize: chopSize || undefined });
      run.peer.closeAfter(wait);
    },
  };
}

function unsolicitedPong(id: string, payload: Buffer): CaseDefinition {
  return {
    id,
    description: `An unsolicited Pong (${payload.length} octets), then a Close.`,
    expectation: 'The Pong is ignored (RFC 6455 §5.5.3); clean close with 1000.',
    open(run) {
      run.expect('OK', []);
      run.expectedClose = CLEAN_CLOSE;
      run.peer.sendFrame({ opcode: 10, payload });
      run.peer.sendClose(1000);
      run.peer.closeAfter(1);
    },
  };
}

function tenPings(id: string, chopSize: number): CaseDefinition {
  return {
    id,
    description: `Ten Pings with payloads "payload-0" to "payload-9"${chopSize ? ', written octet by octet' : ''}.`,
    expectation: 'A Pong for each Ping, in order (not required by the RFC, checked anyway); clean close with 1000.',
    open(run) {
      const pongs: Array<['pong', Buffer]> = [];
      for (let i = 0; i < 10; i++) pongs.push(['pong', text(`payload-${i}`)]);
      run.expect('OK', pongs);
      for (const [, payload] of pongs) run.peer.sendFrame({ opcode: 9, payload, chopSize: chopSize || undefined });
      run.expectedClose = CLEAN_CLOSE;
      run.peer.closeAfter(3);
    },
  };
}

/** Category 2: Ping and Pong (RFC 6455 §5.5.2, §5.5.3). */
export const pingCases: CaseDefinition[] = [
  pingCase('2.1', 'A Ping without payload.', Buffer.alloc(0)),
  pingCase('2.2', 'A Ping with a short text payload.', text('Hello, world!')),
  pingCase('2.3', 'A Ping with a short binary payload.', bytes(0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff)),
  pingCase('2.4', 'A Ping with 125 octets of binary payload, the largest a control frame may carry.', filled(0xfe, 125)),
  {
    id: '2.5',
    description: 'A Ping with 126 octets of payload, one more than a control frame may carry.',
    expectation: 'The peer fails the connection (RFC 6455 §5.5: control payloads are at most 125 octets).',
    open(run) {
      run.expect('OK', []);
      run.expectedClose = peerFails();
      run.peer.sendFrame({ opcode: 9, payload: filled(0xfe, 126) });
      run.peer.killAfter(1);
    },
  },
  pingCase('2.6', 'A Ping with 125 octets of payload, written octet by octet.', filled(0xfe, 125), 1, 2),
  unsolicitedPong('2.7', Buffer.alloc(0)),
  unsolicitedPong('2.8', text('unsolicited pong payload')),
  {
    id: '2.9',
    description: 'An unsolicited Pong, then a Ping.',
    expectation: 'Only the Ping is answered; clean close with 1000.',
    open(run) {
      const payload = text('ping payload');
      run.expect('OK', [['pong', payload]]);
      run.expectedClose = CLEAN_CLOSE;
      run.peer.sendFrame({ opcode: 10, payload: text('unsolicited pong payload') });
      run.peer.sendFrame({ opcode: 9, payload });
      run.peer.closeAfter(1);
    },
  },
  tenPings('2.10', 0),
  tenPings('2.11', 1),
];
