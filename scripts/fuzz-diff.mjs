#!/usr/bin/env node
// Compares two Autobahn-shaped index.json files case by case: the real suite's
// and `scriptling-ws fuzz`'s, for the same implementation and role.
//   node scripts/fuzz-diff.mjs A/index.json B/index.json [--agent-a NAME] [--agent-b NAME] [--cases '1.*,2.*'] [--label-a autobahn] [--label-b fuzz]
// Two verdicts agree when behavior and behaviorClose are the same. Prints the
// counts, the cases whose verdicts agree but whose peer close code differs,
// then every disagreement and every case only one side has. Exits 1 on any disagreement.
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : args.splice(i, 2)[1];
};
const agentA = option('--agent-a');
const agentB = option('--agent-b');
const labelA = option('--label-a', 'A');
const labelB = option('--label-b', 'B');
const patterns = option('--cases', '*').split(',').map((s) => s.trim()).filter(Boolean);
if (args.length !== 2) {
  console.error('usage: fuzz-diff.mjs A/index.json B/index.json [--agent-a NAME] [--agent-b NAME] [--cases LIST] [--label-a A] [--label-b B]');
  process.exit(2);
}

const load = (file, agent) => {
  const index = JSON.parse(readFileSync(file, 'utf8'));
  const name = agent ?? Object.keys(index)[0];
  if (!index[name]) {
    console.error(`fuzz-diff: no agent ${name} in ${file}`);
    process.exit(2);
  }
  return index[name];
};
const a = load(args[0], agentA);
const b = load(args[1], agentB);
const selected = (id) => patterns.some((p) => new RegExp(`^${p.replace(/\./g, '\\.').replace(/\*/g, '.*')}`).test(id));
const byId = (x, y) => {
  const p = x.split('.').map(Number);
  const q = y.split('.').map(Number);
  for (let i = 0; i < Math.max(p.length, q.length); i++) if ((p[i] ?? -1) !== (q[i] ?? -1)) return (p[i] ?? -1) - (q[i] ?? -1);
  return 0;
};
const ids = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter(selected).sort(byId);
const show = (r) => (r ? `${r.behavior} / ${r.behaviorClose}${r.remoteCloseCode == null ? '' : ` (${r.remoteCloseCode})`}` : 'missing');

let agree = 0;
const differ = [];
const codes = [];
const rows = new Map();
for (const id of ids) {
  const category = id.split('.')[0];
  const row = rows.get(category) ?? { cases: 0, agree: 0 };
  rows.set(category, row);
  row.cases++;
  const x = a[id];
  const y = b[id];
  if (x && y && x.behavior === y.behavior && x.behaviorClose === y.behaviorClose) {
    agree++;
    row.agree++;
    if ((x.remoteCloseCode ?? null) !== (y.remoteCloseCode ?? null)) codes.push(`  ${id}: ${labelA} ${show(x)}  |  ${labelB} ${show(y)}`);
  } else {
    differ.push(`  ${id}: ${labelA} ${show(x)}  |  ${labelB} ${show(y)}`);
  }
}
console.log(`${'category'.padEnd(10)}${'cases'.padStart(7)}${'agree'.padStart(7)}${'differ'.padStart(8)}`);
for (const [category, row] of rows) console.log(`${category.padEnd(10)}${String(row.cases).padStart(7)}${String(row.agree).padStart(7)}${String(row.cases - row.agree).padStart(8)}`);
console.log(`${'total'.padEnd(10)}${String(ids.length).padStart(7)}${String(agree).padStart(7)}${String(ids.length - agree).padStart(8)}`);
if (codes.length > 0) console.log(`\nsame verdicts, different close code from the peer (${codes.length}):\n${codes.join('\n')}`);
if (differ.length > 0) {
  console.log(`\n${differ.length} disagreement(s):\n${differ.join('\n')}`);
  process.exit(1);
}
console.log(`\n${labelA} and ${labelB} agree on all ${ids.length} cases`);
