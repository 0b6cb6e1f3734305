import { hostname } from 'node:os';
import type { CaseRecord } from './case-record.js';
import { CATEGORY_TITLES } from './cases/index.js';
import { compareIds } from './select.js';
import { passes, type PassRules } from './summary.js';

/**
 * JUnit XML for CI (the shape of Ant's junit task, which Jenkins, GitLab,
 * GitHub reporters and surefire readers all take): one `testsuite` per
 * category, one `testcase` per case. A case that fails the run's rules is a
 * `failure` (FAILED always, NON-STRICT under --strict, UNIMPLEMENTED unless
 * allowed); a case that passes with another verdict than OK says so in a
 * `property` of its suite (the schema has no properties on a testcase). The
 * case's handshake and wire-log excerpt go in its `system-out`.
 */

/** Characters XML 1.0 cannot hold at all, even escaped. */
const NOT_XML = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

export const xmlEscape = (value: unknown): string =>
  String(value)
    .replace(NOT_XML, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);

/** Wire-log entries shown per case: the first and the last of them. */
const LOG_HEAD = 40;
const LOG_TAIL = 10;
/** A case's system-out is cut here: a CI page is not the place for a whole report. */
const MAX_OUT = 16 * 1024;

function caseOutput(r: CaseRecord): string {
  const log = r.wirelog as unknown[][];
  const shown = log.length <= LOG_HEAD + LOG_TAIL ? log : [...log.slice(0, LOG_HEAD), ['...', `${log.length - LOG_HEAD - LOG_TAIL} entries`], ...log.slice(-LOG_TAIL)];
  const text = [
    `${r.behavior} / close ${r.behaviorClose}: ${r.result}${r.behaviorClose === 'OK' ? '' : ` / ${r.resultClose}`}`,
    `expectation: ${r.expectation}`,
    '--- request', String(r.httpRequest).trimEnd(),
    '--- response', String(r.httpResponse).trimEnd(),
    '--- wire log', ...shown.map((entry) => JSON.stringify(entry)),
  ].join('\n');
  return text.length > MAX_OUT ? `${text.slice(0, MAX_OUT)}\n... (cut at ${MAX_OUT} characters; the full report is in the case's JSON)` : text;
}

/** The JUnit XML for one agent's records under `rules`. */
export function junitXml(agent: string, records: CaseRecord[], rules: PassRules, timestamp = new Date()): string {
  const byCategory = new Map<string, CaseRecord[]>();
  for (const r of [...records].sort((a, b) => compareIds(a.id, b.id))) {
    const category = r.id.split('.')[0];
    byCategory.set(category, [...(byCategory.get(category) ?? []), r]);
  }
  const stamp = timestamp.toISOString().slice(0, 19);
  const host = xmlEscape(hostname());
  let total = 0;
  let failures = 0;
  let seconds = 0;
  const suites: string[] = [];
  let id = 0;
  for (const [category, cases] of byCategory) {
    const name = `${category} ${CATEGORY_TITLES[category] ?? ''}`.trim();
    const properties: string[] = [];
    const testcases: string[] = [];
    let suiteFailures = 0;
    let suiteTime = 0;
    for (const r of cases) {
      const time = r.duration / 1000;
      suiteTime += time;
      const ok = passes(r, rules);
      const verdict = r.behaviorClose === 'OK' || r.behaviorClose === 'INFORMATIONAL' ? r.behavior : `${r.behavior} / close ${r.behaviorClose}`;
      let body = '';
      if (!ok) {
        suiteFailures++;
        const reason = r.behaviorClose === 'OK' || r.behaviorClose === 'INFORMATIONAL' ? r.result : r.resultClose;
        body += `<failure message="${xmlEscape(`${verdict}: ${reason}`)}" type="${xmlEscape(r.behavior)}">${xmlEscape(`${r.description}\n${reason}`)}</failure>`;
      } else if (r.behavior !== 'OK') {
        properties.push(`<property name="${xmlEscape(`${r.id} verdict`)}" value="${xmlEscape(`${verdict}: ${r.result}`)}"/>`);
      }
      body += `<system-out>${xmlEscape(caseOutput(r))}</system-out>`;
      testcases.push(`    <testcase name="${xmlEscape(`${r.id} ${r.description}`)}" classname="${xmlEscape(`${agent}.${category}`)}" time="${time.toFixed(3)}">${body}</testcase>`);
    }
    total += cases.length;
    failures += suiteFailures;
    seconds += suiteTime;
    suites.push([
      `  <testsuite package="${xmlEscape(agent)}" id="${id++}" name="${xmlEscape(name)}" timestamp="${stamp}" hostname="${host}" tests="${cases.length}" failures="${suiteFailures}" errors="0" skipped="0" time="${suiteTime.toFixed(3)}">`,
      properties.length === 0 ? '    <properties/>' : `    <properties>\n      ${properties.join('\n      ')}\n    </properties>`,
      ...testcases,
      '    <system-out/>',
      '    <system-err/>',
      '  </testsuite>',
    ].join('\n'));
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${xmlEscape(`scriptling-ws fuzz: ${agent}`)}" tests="${total}" failures="${failures}" errors="0" time="${seconds.toFixed(3)}">\n${suites.join('\n')}\n</testsuites>\n`;
}
