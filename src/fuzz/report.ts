import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { showEvents, type CaseRun } from './case.js';
import { compareIds } from './select.js';
import { caseHtml, indexHtml } from './report-html.js';
import { reportFileName, type CaseRecord, type Results } from './case-record.js';

export function caseRecord(run: CaseRun): CaseRecord {
  const definition = run.definition;
  const p = run.connectionWasOpen ? run.peer : null;
  return {
    agent: run.agent,
    behavior: run.behavior,
    behaviorClose: run.behaviorClose,
    case: run.index,
    closedByMe: p?.closedByMe ?? false,
    createStats: true,
    createWirelog: p?.log.enabled ?? true,
    description: definition.description,
    droppedByMe: p?.droppedByMe ?? false,
    duration: run.duration,
    expectation: definition.expectation,
    expected: Object.fromEntries([...run.expected].map(([verdict, events]) => [verdict, showEvents(events)])),
    expectedClose: run.expectedClose,
    failedByMe: p?.failedByMe ?? false,
    httpRequest: run.httpRequest ?? '?',
    httpResponse: run.httpResponse ?? '?',
    id: definition.id,
    isServer: p?.isServer ?? false,
    localCloseCode: p?.localCloseCode ?? null,
    localCloseReason: p?.localCloseReason ?? null,
    received: shownReceived(run),
    remoteCloseCode: p?.remoteCloseCode ?? null,
    remoteCloseReason: p?.remoteCloseReason ?? null,
    reportCompressionRatio: false,
    reportTime: definition.reportTime ?? false,
    reportfile: reportFileName(run.agent, definition.id, 'json'),
    result: run.result,
    resultClose: run.resultClose,
    rxFrameStats: p?.log.rxFrameStats ?? {},
    rxOctetStats: p?.log.rxOctetStats ?? {},
    started: run.started.toISOString(),
    trafficStats: null,
    txFrameStats: p?.log.txFrameStats ?? {},
    txOctetStats: p?.log.txOctetStats ?? {},
    wasClean: p?.wasClean ?? false,
    wasCloseHandshakeTimeout: p?.wasCloseHandshakeTimeout ?? false,
    wasNotCleanReason: p?.wasNotCleanReason ?? null,
    wasOpenHandshakeTimeout: false,
    wasServerConnectionDropTimeout: p?.wasServerConnectionDropTimeout ?? false,
    wirelog: p?.log.entries ?? [],
  };
}

/** Events shown in a report: no case expects more than a few dozen; a flood is cut, with a count of the rest. */
const MAX_SHOWN_EVENTS = 1000;

function shownReceived(run: CaseRun): unknown[] {
  if (run.received.length <= MAX_SHOWN_EVENTS) return showEvents(run.received);
  return [...showEvents(run.received.slice(0, MAX_SHOWN_EVENTS)), ['OMITTED', run.received.length - MAX_SHOWN_EVENTS]];
}

/** `index.json` as the suite writes it: keys sorted as plain strings, 3-space indent. */
export function indexJson(results: Results): string {
  const index: Record<string, Record<string, unknown>> = {};
  for (const agent of [...results.keys()].sort()) {
    const cases: Record<string, unknown> = {};
    for (const id of [...results.get(agent)!.keys()].sort()) {
      const r = results.get(agent)!.get(id)!;
      cases[id] = { behavior: r.behavior, behaviorClose: r.behaviorClose, duration: r.duration, remoteCloseCode: r.remoteCloseCode, reportfile: r.reportfile };
    }
    index[agent] = cases;
  }
  return JSON.stringify(index, null, 3);
}

/** Writes index.json, index.html and one JSON and one HTML page per case. */
export function writeReports(outdir: string, results: Results): void {
  mkdirSync(outdir, { recursive: true });
  writeFileSync(join(outdir, 'index.json'), indexJson(results));
  writeFileSync(join(outdir, 'index.html'), indexHtml(results, compareIds));
  for (const [agent, cases] of results) {
    for (const [id, record] of cases) {
      writeFileSync(join(outdir, reportFileName(agent, id, 'json')), JSON.stringify(sortedKeys(record), null, 3));
      writeFileSync(join(outdir, reportFileName(agent, id, 'html')), caseHtml(record));
    }
  }
}

function sortedKeys(record: CaseRecord): Record<string, unknown> {
  return Object.fromEntries(Object.keys(record).sort().map((k) => [k, record[k]]));
}
