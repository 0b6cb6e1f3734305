/**
 * A case's record as the suite's reports hold it, and the results by agent:
 * what the JSON, HTML, JUnit and summary writers share.
 */

/** One case's report, with the fields of the suite's per-case JSON. */
export interface CaseRecord {
  id: string;
  agent: string;
  behavior: string;
  behaviorClose: string;
  duration: number;
  remoteCloseCode: number | null;
  reportfile: string;
  [field: string]: unknown;
}

/** The suite's file name for a case report: the agent lower-cased with only [a-z0-9_]. */
export function reportFileName(agent: string, id: string, ext: string): string {
  const clean = agent.trim().toLowerCase().replace(/[^a-z0-9]/g, ' ').trim().replace(/ /g, '_');
  return `${clean}_case_${id.replace(/\./g, '_')}.${ext}`;
}

/** Results by agent, then by case id. */
export type Results = Map<string, Map<string, CaseRecord>>;

export function addResult(results: Results, record: CaseRecord): void {
  let cases = results.get(record.agent);
  if (cases === undefined) results.set(record.agent, (cases = new Map()));
  cases.set(record.id, record);
}
