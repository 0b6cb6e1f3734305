import type { CaseDefinition } from './case.js';
import { ALL_CASES, AUTOBAHN_CASES } from './cases/index.js';

/** Case ids compare as tuples of numbers: 1.2.10 after 1.2.9, 10.1.1 after 9.8.6. */
export function compareIds(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? -1) - (y[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}


/**
 * The cases that `patterns` select minus those `excludes` select, as the
 * suite resolves its `cases` and `exclude-cases` lists: "*" matches any
 * text, a pattern matches from the start of an id, a pattern without "*"
 * names one case. Sorted by id. Unknown ids are an error.
 */
export function selectCases(patterns: string[], excludes: string[] = [], cases: CaseDefinition[] = ALL_CASES): CaseDefinition[] {
  const byId = new Map(cases.map((c) => [c.id, c]));
  const resolve = (list: string[]): Set<string> => {
    const ids = new Set<string>();
    for (const pattern of list) {
      if (pattern.includes('*')) {
        const regex = new RegExp(`^${pattern.replace(/\./g, '\\.').replace(/\*/g, '.*')}`);
        for (const id of byId.keys()) if (regex.test(id)) ids.add(id);
      } else if (byId.has(pattern)) {
        ids.add(pattern);
      } else {
        throw new RangeError(`unknown case ${JSON.stringify(pattern)}`);
      }
    }
    return ids;
  };
  const excluded = resolve(excludes);
  return [...resolve(patterns)].filter((id) => !excluded.has(id)).sort(compareIds).map((id) => byId.get(id)!);
}

export const splitList = (list: string | undefined): string[] => (list ?? '').split(',').map((s) => s.trim()).filter(Boolean);

/**
 * The cases a run in `role` plays: Autobahn's 517 unless `cases` names
 * others or `all` is set (so a default run stays comparable with the
 * suite's), less those that test the other role (category 14 tests
 * servers in 14.1–14.8, clients in 14.9–14.13). Naming one of those by id
 * is an error; a pattern just skips them.
 */
export function casesFor(role: 'server' | 'client', options: { cases?: string; exclude?: string; all?: boolean }): CaseDefinition[] {
  const explicit = options.cases !== undefined;
  const pool = explicit || options.all ? ALL_CASES : AUTOBAHN_CASES;
  const selected = selectCases(explicit ? splitList(options.cases) : ['*'], splitList(options.exclude), pool);
  const named = new Set(splitList(options.cases).filter((p) => !p.includes('*')));
  for (const c of selected) {
    if (c.tests !== undefined && c.tests !== role && named.has(c.id)) {
      throw new RangeError(`case ${c.id} tests ${c.tests}s: run it with fuzz ${c.tests}`);
    }
  }
  return selected.filter((c) => c.tests === undefined || c.tests === role);
}
