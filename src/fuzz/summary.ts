import type { CaseRecord } from './case-record.js';
import { CATEGORY_TITLES } from './cases/index.js';
import { compareIds } from './select.js';

export interface PassRules {
  /** Count NON-STRICT as passing. */
  allowNonStrict: boolean;
  /** Count UNIMPLEMENTED as passing. */
  allowUnimplemented: boolean;
}

const CLOSE_PASSES = new Set(['OK', 'INFORMATIONAL']);

/** Whether a case passes: OK or INFORMATIONAL (and what the flags allow), with a passing close verdict. */
export function passes(record: CaseRecord, rules: PassRules): boolean {
  const b = record.behavior;
  const behaviorPasses = b === 'OK' || b === 'INFORMATIONAL' || (b === 'NON-STRICT' && rules.allowNonStrict) || (b === 'UNIMPLEMENTED' && rules.allowUnimplemented);
  return behaviorPasses && CLOSE_PASSES.has(record.behaviorClose);
}

const COLUMNS = ['OK', 'NON-STRICT', 'INFORMATIONAL', 'UNIMPLEMENTED', 'FAILED'] as const;

/** A table per category: how many cases got each verdict, then every case that did not pass. */
export function summaryText(agent: string, records: CaseRecord[], rules: PassRules): { text: string; failed: number } {
  const rows = new Map<string, Record<string, number>>();
  const bad: string[] = [];
  for (const r of [...records].sort((a, b) => compareIds(a.id, b.id))) {
    const category = r.id.split('.')[0];
    let row = rows.get(category);
    if (row === undefined) rows.set(category, (row = { cases: 0, ms: 0, OK: 0, 'NON-STRICT': 0, INFORMATIONAL: 0, UNIMPLEMENTED: 0, FAILED: 0 }));
    row.cases++;
    row.ms += r.duration;
    const closeBad = !CLOSE_PASSES.has(r.behaviorClose);
    row[closeBad || !(r.behavior in row) ? 'FAILED' : r.behavior]++;
    if (!passes(r, rules)) bad.push(`  ${r.id}: ${r.behavior} / close ${r.behaviorClose}${r.remoteCloseCode === null ? '' : ` (${r.remoteCloseCode})`}: ${closeBad ? r.resultClose : r.result}`);
  }
  const pad = (s: unknown, n: number) => String(s).padEnd(n);
  const lpad = (s: unknown, n: number) => String(s).padStart(n);
  const header = `${pad('category', 30)}${lpad('cases', 6)}${COLUMNS.map((c) => lpad(c === 'INFORMATIONAL' ? 'INFO' : c === 'UNIMPLEMENTED' ? 'UNIMPL' : c, 11)).join('')}${lpad('time s', 9)}`;
  const lines = [`Results for ${agent}`, header];
  const total: Record<string, number> = { cases: 0, ms: 0, OK: 0, 'NON-STRICT': 0, INFORMATIONAL: 0, UNIMPLEMENTED: 0, FAILED: 0 };
  for (const [category, row] of rows) {
    for (const k of Object.keys(total)) total[k] += row[k];
    lines.push(`${pad(`${category} ${CATEGORY_TITLES[category] ?? ''}`, 30)}${lpad(row.cases, 6)}${COLUMNS.map((c) => lpad(row[c], 11)).join('')}${lpad((row.ms / 1000).toFixed(1), 9)}`);
  }
  lines.push(`${pad('total', 30)}${lpad(total.cases, 6)}${COLUMNS.map((c) => lpad(total[c], 11)).join('')}${lpad((total.ms / 1000).toFixed(1), 9)}`);
  lines.push(bad.length === 0 ? `\nall ${records.length} cases pass` : `\n${bad.length} case(s) did not pass:\n${bad.join('\n')}`);
  return { text: lines.join('\n'), failed: bad.length };
}
