// The README's code blocks. readme.test.ts runs every one of them (programs
// against a local server, with the output shown below them; shell lines as
// CLI invocations); package.test.ts also compiles the ones marked
// `<!-- full-example -->` against the installed package, so the documented
// API is the shipped one.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './helpers.js';

export interface Block {
  /** The fence's language: ts, js, sh, text, … ('' when none). */
  language: string;
  /** 1-based line of the opening fence, for failure messages. */
  line: number;
  code: string;
  /** Preceded by `<!-- full-example -->`. */
  fullExample: boolean;
}

export interface Example {
  language: 'ts' | 'js';
  line: number;
  code: string;
}

export interface Program extends Example {
  /** The ```text block that follows the program: what it prints. */
  expected: string | undefined;
}

const MARKER = '<!-- full-example -->';
const readme = (): string => readFileSync(join(ROOT, 'README.md'), 'utf8');

export function readmeBlocks(text = readme()): Block[] {
  const lines = text.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(\S*)\s*$/.exec(lines[i]);
    if (fence === null) continue;
    const end = lines.indexOf('```', i + 1);
    if (end === -1) throw new Error(`README.md line ${i + 1}: unclosed code block`);
    const language = { typescript: 'ts', javascript: 'js', bash: 'sh', shell: 'sh' }[fence[1]] ?? fence[1];
    blocks.push({ language, line: i + 1, code: lines.slice(i + 1, end).join('\n') + '\n', fullExample: lines[i - 1]?.trim() === MARKER });
    i = end;
  }
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === MARKER && !/^```(ts|typescript|js|javascript)\s*$/.test(lines[i + 1] ?? '')) {
      throw new Error(`README.md line ${i + 1}: ${MARKER} must be followed by a \`\`\`ts or \`\`\`js block`);
    }
  }
  return blocks;
}

/** Every ```js/```ts block, with the ```text block right after it (blank lines between) as its output. */
export function readmePrograms(text = readme()): Program[] {
  const lines = text.split('\n');
  const blocks = readmeBlocks(text);
  return blocks.flatMap((block, i): Program[] => {
    if (block.language !== 'js' && block.language !== 'ts') return [];
    const next = blocks[i + 1];
    const closing = block.line + block.code.split('\n').length - 1;
    const between = next === undefined ? [] : lines.slice(closing + 1, next.line - 1);
    const adjacent = next?.language === 'text' && between.every((line) => line.trim() === '');
    return [{ language: block.language, line: block.line, code: block.code, expected: adjacent ? next.code : undefined }];
  });
}

/** The full examples: programs that import the package by name, compiled by package.test.ts. */
export function readmeExamples(text = readme()): Example[] {
  return readmeBlocks(text)
    .filter((block) => block.fullExample)
    .map((block) => ({ language: block.language as 'ts' | 'js', line: block.line, code: block.code }));
}
