// The README's complete programs: a fenced ```ts or ```js block right after
// an `<!-- full-example -->` line. package.test.ts compiles each one against
// the installed package, so the documented API is the shipped one.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './helpers.js';

export interface Example {
  language: 'ts' | 'js';
  /** 1-based line of the opening fence, for failure messages. */
  line: number;
  code: string;
}

const MARKER = '<!-- full-example -->';

export function readmeExamples(readme = readFileSync(join(ROOT, 'README.md'), 'utf8')): Example[] {
  const lines = readme.split('\n');
  const examples: Example[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== MARKER) continue;
    const fence = /^```(ts|typescript|js|javascript)\s*$/.exec(lines[i + 1] ?? '');
    if (fence === null) throw new Error(`README.md line ${i + 1}: ${MARKER} must be followed by a \`\`\`ts or \`\`\`js block`);
    const end = lines.indexOf('```', i + 2);
    if (end === -1) throw new Error(`README.md line ${i + 2}: unclosed code block`);
    examples.push({ language: fence[1].startsWith('t') ? 'ts' : 'js', line: i + 2, code: lines.slice(i + 2, end).join('\n') + '\n' });
    i = end;
  }
  return examples;
}
