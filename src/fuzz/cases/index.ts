import type { CaseDefinition } from '../case.js';
import { framingCases } from './framing.js';
import { pingCases } from './pings.js';
import { opcodeCases, reservedBitCases } from './reserved.js';
import { fragmentationCases } from './fragmentation.js';
import { utf8Cases, UTF8_TITLES } from './utf8.js';
import { closeCases } from './close.js';
import { limitCases } from './limits.js';
import { autoFragmentCases } from './autofragment.js';
import { compressionParameterCases, compressionPayloadCases } from './compression.js';

/** Every case, in the suite's order. */
export const ALL_CASES: CaseDefinition[] = [
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
};

export { UTF8_TITLES };
