import type { CaseDefinition } from '../case.js';
import { framingCases } from './framing.js';
import { pingCases } from './pings.js';
import { opcodeCases, reservedBitCases } from './reserved.js';
import { fragmentationCases } from './fragmentation.js';
import { utf8Cases, UTF8_TITLES } from './utf8.js';
import { closeCases } from './close.js';
import { limitCases } from './limits.js';
import { autoFragmentCases } from './autofragment.js';
import { COMPRESSION_TITLES, compressionParameterCases, compressionPayloadCases } from './compression.js';
import { HANDSHAKE_TITLES, handshakeCases } from './handshake.js';
import { NEGOTIATION_TITLES, negotiationCases } from './deflate-negotiation.js';

/** Autobahn|Testsuite's 517 cases, in the suite's order: what a run plays unless told otherwise. */
export const AUTOBAHN_CASES: CaseDefinition[] = [
  ...framingCases,
  ...pingCases,
  ...reservedBitCases,
  ...opcodeCases,
  ...fragmentationCases,
  ...utf8Cases,
  ...closeCases,
  ...limitCases,
  ...autoFragmentCases,
  ...compressionPayloadCases,
  ...compressionParameterCases,
];

/** Ours beyond the suite: 14 (opening handshake), 15 (permessage-deflate negotiation). */
export const EXTRA_CASES: CaseDefinition[] = [...handshakeCases, ...negotiationCases];

/** Every case. */
export const ALL_CASES: CaseDefinition[] = [...AUTOBAHN_CASES, ...EXTRA_CASES];

export const CATEGORY_TITLES: Record<string, string> = {
  '1': 'Framing',
  '2': 'Pings/Pongs',
  '3': 'Reserved Bits',
  '4': 'Opcodes',
  '5': 'Fragmentation',
  '6': 'UTF-8 Handling',
  '7': 'Close Handling',
  '9': 'Limits/Performance',
  '10': 'Auto-Fragmentation',
  '12': 'WebSocket Compression (different payloads)',
  '13': 'WebSocket Compression (different parameters)',
  '14': 'Opening Handshake',
  '15': 'permessage-deflate Negotiation',
};

/** Sub-category titles, for the reports. */
export const SUBCATEGORY_TITLES: Record<string, string> = {
  '1.1': 'Text messages',
  '1.2': 'Binary messages',
  '4.1': 'Reserved data opcodes',
  '4.2': 'Reserved control opcodes',
  '6.1': 'Valid UTF-8, empty fragments',
  '6.2': 'Valid UTF-8, whole and split on or inside code points',
  '6.3': 'Invalid UTF-8, split in different ways',
  '6.4': 'Fail-fast on invalid UTF-8',
  '7.1': 'Basic close behaviour',
  '7.3': 'Close frame payload length',
  '7.5': 'Close frame payload value',
  '7.7': 'Valid close codes',
  '7.9': 'Invalid close codes',
  '7.13': 'Close codes outside the range (informational)',
  '9.1': 'Text messages of growing size',
  '9.2': 'Binary messages of growing size',
  '9.3': 'Fragmented text message, growing fragment size',
  '9.4': 'Fragmented binary message, growing fragment size',
  '9.5': 'Text message written in growing chops',
  '9.6': 'Binary message written in growing chops',
  '9.7': 'Text message round trips',
  '9.8': 'Binary message round trips',
  '10.1': 'Messages we fragment',
  ...UTF8_TITLES,
  ...COMPRESSION_TITLES,
  ...HANDSHAKE_TITLES,
  ...NEGOTIATION_TITLES,
};
