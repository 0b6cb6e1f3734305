import { CLEAN_CLOSE, KOSME, peerFails, text, type CaseDefinition, type CaseRun } from './common.js';
import { UTF8_GROUPS, isValidUtf8 } from './utf8-sequences.js';

const INVALID_PAYLOAD = 1007;
const fatal = () => peerFails(INVALID_PAYLOAD, true);
const HELLO_UTF8 = text('Hello-µ@ßöäüàá-UTF-8!!');

function echoed(id: string, description: string, payload: Buffer, send: (run: CaseRun) => void): CaseDefinition {
  return {
    id,
    description,
    expectation: 'The message is echoed; clean close with 1000.',
    open(run) {
      run.expect('OK', [['message', payload, false]]);
      run.expectedClose = CLEAN_CLOSE;
      send(run);
      run.peer.closeAfter(1);
    },
  };
}

/** κόσμε, a UTF-16 surrogate (U+D800, never valid in UTF-8, RFC 3629 §3), then "edited". */
const SURROGATE_IN_TEXT = Buffer.concat([KOSME, Buffer.from([0xed, 0xa0, 0x80]), text('edited')]);
/** κόσμε, then F4 90 80 80 (U+110000, beyond Unicode: invalid at its second octet), then "edited". */
const BEYOND_UNICODE = Buffer.concat([KOSME, Buffer.from([0xf4, 0x90, 0x80, 0x80]), text('edited')]);

/**
 * 6.4.x: the bad part is sent one second after the good part and the rest
 * one second later. Failing before the rest is sent is OK ("fail fast",
 * RFC 6455 §8.1 allows either); failing only at the end is NON-STRICT.
 */
function failFast(id: string, description: string, parts: [Buffer, Buffer, Buffer], oneFrame: boolean): CaseDefinition {
  return {
    id,
    description,
    expectation: 'The peer fails the connection with 1007 as soon as the invalid octet arrives (OK) or at the end of the message (NON-STRICT).',
    open(run) {
      run.expect('OK', [['timeout', 'A']]);
      run.expect('NON-STRICT', [['timeout', 'A'], ['timeout', 'B']]);
      run.expectedClose = fatal();
      const total = parts[0].length + parts[1].length + parts[2].length;
      const send = (part: Buffer, fin: boolean, first: boolean) => {
        if (oneFrame) run.peer.sendFramePart(part);
        else run.peer.sendFrame({ opcode: first ? 1 : 0, fin, payload: part });
      };
      if (oneFrame) run.peer.beginFrame(1, total);
      send(parts[0], false, true);
      run.peer.continueLater(1, () => {
        if (run.peer.state !== 'open') return;
        run.received.push(['timeout', 'A']);
        send(parts[1], false, false);
        run.peer.continueLater(1, () => {
          if (run.peer.state !== 'open') return;
          run.received.push(['timeout', 'B']);
          send(parts[2], true, false);
          if (oneFrame) run.peer.sendFrame({ opcode: 0, fin: true });
          run.peer.killAfter(1);
        }, 'B');
      }, 'A');
    },
  };
}

function sequenceCase(id: string, payload: Buffer): CaseDefinition {
  const valid = isValidUtf8(payload);
  return {
    id,
    description: `A text message whose payload is ${valid ? 'valid' : 'invalid'} UTF-8, in one frame. Payload: 0x${payload.toString('hex')}`,
    expectation: valid ? 'The message is echoed.' : 'The peer fails the connection with 1007 at once (RFC 6455 §8.1).',
    open(run) {
      if (valid) {
        run.expect('OK', [['message', payload, false]]);
        run.expectedClose = CLEAN_CLOSE;
      } else {
        run.expect('OK', []);
        run.expectedClose = fatal();
      }
      run.peer.sendMessage(payload, false);
      run.peer.killAfter(0.5);
    },
  };
}

function invalidMessage(id: string, description: string, fragmentSize: number | null): CaseDefinition {
  return {
    id,
    description,
    expectation: 'The peer fails the connection with 1007 (RFC 6455 §8.1).',
    open(run) {
      run.expect('OK', []);
      run.expectedClose = fatal();
      run.peer.sendMessage(SURROGATE_IN_TEXT, false, fragmentSize);
      run.peer.killAfter(1);
    },
  };
}

const half = [text('Hello-µ@ßöä'), text('üàá-UTF-8!!')];

/** Category 6: UTF-8 in text messages (RFC 6455 §5.6, §8.1). */
export const utf8Cases: CaseDefinition[] = [
  echoed('6.1.1', 'An empty text message.', Buffer.alloc(0), (run) => run.peer.sendFrame({ opcode: 1 })),
  echoed('6.1.2', 'A text message of three empty fragments.', Buffer.alloc(0), (run) => {
    run.peer.sendFrame({ opcode: 1, fin: false });
    run.peer.sendFrame({ opcode: 0, fin: false });
    run.peer.sendFrame({ opcode: 0 });
  }),
  echoed('6.1.3', 'A text message of an empty fragment, a non-empty one and an empty one.', text('middle frame payload'), (run) => {
    run.peer.sendFrame({ opcode: 1, fin: false });
    run.peer.sendFrame({ opcode: 0, fin: false, payload: text('middle frame payload') });
    run.peer.sendFrame({ opcode: 0 });
  }),
  echoed('6.2.1', 'A valid UTF-8 text message in one fragment.', HELLO_UTF8, (run) => run.peer.sendMessage(HELLO_UTF8, false)),
  echoed('6.2.2', 'A valid UTF-8 text message in two fragments split on a code point boundary.', HELLO_UTF8, (run) => {
    run.peer.sendFrame({ opcode: 1, fin: false, payload: half[0] });
    run.peer.sendFrame({ opcode: 0, payload: half[1] });
  }),
  echoed('6.2.3', 'A valid UTF-8 text message in one-octet fragments (split inside code points).', HELLO_UTF8, (run) => run.peer.sendMessage(HELLO_UTF8, false, 1)),
  echoed('6.2.4', 'The text κόσμε in one-octet fragments (split inside code points).', KOSME, (run) => run.peer.sendMessage(KOSME, false, 1)),
  invalidMessage('6.3.1', 'A text message with a UTF-16 surrogate in it, in one fragment.', null),
  invalidMessage('6.3.2', 'A text message with a UTF-16 surrogate in it, in one-octet fragments.', 1),
  failFast('6.4.1', 'A text message in three fragments sent a second apart; the second holds a code point beyond U+10FFFF.', [KOSME, BEYOND_UNICODE.subarray(11, 15), BEYOND_UNICODE.subarray(15)], false),
  failFast('6.4.2', 'As 6.4.1, but the second fragment is the single octet that makes the message invalid.', [BEYOND_UNICODE.subarray(0, 12), BEYOND_UNICODE.subarray(12, 13), BEYOND_UNICODE.subarray(13)], false),
  failFast('6.4.3', 'As 6.4.1, but one frame whose payload is written in three parts a second apart.', [KOSME, BEYOND_UNICODE.subarray(11, 15), BEYOND_UNICODE.subarray(15)], true),
  failFast('6.4.4', 'As 6.4.2, but one frame whose payload is written in three parts a second apart.', [BEYOND_UNICODE.subarray(0, 12), BEYOND_UNICODE.subarray(12, 13), BEYOND_UNICODE.subarray(13)], true),
  ...UTF8_GROUPS.flatMap((group, g) => group.sequences.map((payload, i) => sequenceCase(`6.${g + 5}.${i + 1}`, payload))),
];

/** Sub-category titles for 6.5 to 6.23, for the summary. */
export const UTF8_TITLES: Record<string, string> = Object.fromEntries(UTF8_GROUPS.map((group, g) => [`6.${g + 5}`, group.title]));
