// Every code block of the README runs, offline. Programs (```js, ```ts) run
// as a user saves them, against the example server a user starts
// (`scriptling-ws serve`, here on a free port that replaces 127.0.0.1:8080),
// with the package importable by name and the one-file build beside them; each
// must exit 0 and print exactly the ```text block under it. Shell blocks
// (```sh): every scriptling-ws invocation names a real command and real
// flags (checked against its --help), `npm run` names real scripts, and the
// lines that talk to the example server (or to `scriptling-ws echo` at
// 127.0.0.1:9001) are run and must exit 0.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { ROOT } from './helpers.js';
import { readmeBlocks, readmePrograms } from './readme-examples.js';

const run = promisify(execFile);
const CLI = join(ROOT, 'dist', 'src', 'cli.js');
const VENDOR = join(ROOT, 'vendor', 'scriptling-websocket.mjs');
const RUN_LIMIT_MS = 60_000;
/** The addresses the README's examples use, and the servers that stand in for them. */
const EXAMPLE_SERVER = '127.0.0.1:8080';
const FUZZ_TESTEE = '127.0.0.1:9001';

/** Starts `scriptling-ws <args>` and resolves with the port from its first line that matches. */
function startCli(args: string[], pattern: RegExp): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = pattern.exec(line);
      if (match) resolve({ child, port: Number(match[1]) });
    });
    child.once('exit', (code) => reject(new Error(`scriptling-ws ${args.join(' ')} exited ${code} before listening`)));
  });
}

/** Shell words of one command (quotes handled as sh does for the README's simple cases). */
export function shellWords(command: string): string[] {
  const words: string[] = [];
  const pattern = /'([^']*)'|"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = pattern.exec(command); m !== null; m = pattern.exec(command)) words.push(m[1] ?? m[2]?.replace(/\\(.)/g, '$1') ?? m[3]);
  return words;
}

/** A README shell line without its comment, split into its commands (at |, &&, ;, and a trailing &). */
export function shellCommands(line: string): string[] {
  const code = line.replace(/(^|\s)#\s.*$/, '').replace(/(^|\s)#$/, '').trim();
  if (code === '') return [];
  return code.split(/\s*(?:\|\||&&|\||;)\s*/).map((part) => part.replace(/\s*&$/, '').trim()).filter((part) => part !== '');
}

/** The scriptling-ws arguments of a command that runs the CLI, or null. */
export function cliArguments(words: string[]): string[] | null {
  if (words[0] === 'scriptling-ws') return words.slice(1);
  if (words[0] === 'npx' && words[1] === 'scriptling-ws') return words.slice(2);
  if ((words[0] === 'node' || words[0] === 'bun') && words[1] === 'scriptling-websocket.mjs') return words.slice(2);
  if (words[0] === 'deno' && words[1] === 'run' && words.includes('scriptling-websocket.mjs')) return words.slice(words.indexOf('scriptling-websocket.mjs') + 1);
  return null;
}

const helpTexts = new Map<string, string>();
async function helpOf(command: string): Promise<string> {
  if (!helpTexts.has(command)) helpTexts.set(command, (await run(process.execPath, [CLI, command, '--help'], { encoding: 'utf8' })).stdout);
  return helpTexts.get(command)!;
}

/** Fails unless `args` name a scriptling-ws command and only flags its --help lists. */
async function checkCliArguments(args: string[], where: string): Promise<string> {
  const commands = (await run(process.execPath, [CLI, '--help'], { encoding: 'utf8' })).stdout;
  const command = args[0] === undefined || args[0].startsWith('-') ? 'serve' : args[0];
  assert.match(commands, new RegExp(`^  ${command} `, 'm'), `${where}: "${command}" is not a scriptling-ws command`);
  const help = await helpOf(command);
  if (command === 'fuzz') assert.ok(args[1] === 'server' || args[1] === 'client', `${where}: fuzz needs server or client`);
  for (const arg of args) {
    if (!/^--?[a-zA-Z0-9]/.test(arg)) continue;
    const flag = arg.split('=')[0];
    const listed = new RegExp(`(^|[\\s,\\[])${flag.replace(/[-]/g, '\\-')}([\\s,=\\]]|$)`, 'm');
    assert.match(help, listed, `${where}: ${flag} is not an option of scriptling-ws ${command}`);
  }
  return command;
}

describe('README code blocks', { timeout: 600_000 }, () => {
  let folder = '';
  let exampleServer: { child: ChildProcess; port: number };
  let fuzzTestee: { child: ChildProcess; port: number };
  const localise = (code: string): string =>
    code.replaceAll(EXAMPLE_SERVER, `127.0.0.1:${exampleServer.port}`).replaceAll(FUZZ_TESTEE, `127.0.0.1:${fuzzTestee.port}`);

  before(async () => {
    // A user's folder: the package installed by name, and the one-file build copied beside the scripts.
    folder = mkdtempSync(join(tmpdir(), 'sws-readme-'));
    mkdirSync(join(folder, 'node_modules'));
    symlinkSync(ROOT, join(folder, 'node_modules', 'scriptling-websocket'), 'dir');
    copyFileSync(VENDOR, join(folder, 'scriptling-websocket.mjs'));
    exampleServer = await startCli(['serve', '--port', '0'], /echo: +ws:\/\/127\.0\.0\.1:(\d+)\//);
    fuzzTestee = await startCli(['echo', '--port', '0'], /ws:\/\/127\.0\.0\.1:(\d+)\//);
  });

  after(() => {
    exampleServer?.child.kill();
    fuzzTestee?.child.kill();
    if (folder !== '') rmSync(folder, { recursive: true, force: true });
  });

  test('the README has programs and shell blocks, and no block in a language the test cannot check', () => {
    const blocks = readmeBlocks();
    assert.ok(blocks.filter((b) => b.language === 'js' || b.language === 'ts').length >= 5);
    assert.ok(blocks.some((b) => b.language === 'sh'));
    for (const block of blocks) assert.ok(['js', 'ts', 'sh', 'text'].includes(block.language), `README.md line ${block.line}: a \`\`\`${block.language} block`);
  });

  test('the error tables name every WS_ERR_* code in src/ with its close code, and every ConnectError code', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const sources = readdirSync(join(ROOT, 'src'), { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts'))
      .map((file) => readFileSync(join(ROOT, 'src', file), 'utf8')).join('\n');
    const codes = new Set(sources.match(/WS_ERR_[A-Z0-9_]+/g));
    assert.ok(codes.size >= 15, `found ${codes.size} WS_ERR_* codes`);
    for (const code of codes) {
      const row = readme.split('\n').find((line) => line.startsWith('| ') && line.includes(`\`${code}\``) && !line.includes('ERR_INVALID_URL'));
      assert.ok(row !== undefined, `README: no error table row for ${code}`);
      assert.match(row.split('|')[2], /\d{4}|none|connection/, `README: ${code} has no close code`);
    }
    // Comments out first: a ';' in one ended the union early, and only its first three codes were checked.
    const union = /type ConnectErrorCode =([^;]*);/.exec(readFileSync(join(ROOT, 'src', 'protocol', 'connect-error.ts'), 'utf8').replace(/\/\*[^]*?\*\//g, ''))![1];
    const connectCodes = union.match(/'(E[A-Z_]+)'/g)!.map((quoted) => quoted.slice(1, -1));
    assert.ok(connectCodes.length >= 14, `found ${connectCodes.length} ConnectError codes`);
    for (const code of new Set(connectCodes)) assert.match(readme, new RegExp(`^\\| .*\`${code}\``, 'm'), `README: no ConnectError row for ${code}`);
  });

  test('every link to a heading of the README or to a file of the repository leads somewhere', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    // GitHub's heading ids: lower case, punctuation other than - and _ dropped, spaces to -.
    const slug = (heading: string): string => heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const headings = new Set(readme.split('\n').filter((line) => /^#{1,6} /.test(line)).map((line) => slug(line.replace(/^#+ /, ''))));
    const targets = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]).filter((target) => !/^[a-z]+:/.test(target));
    assert.ok(targets.length > 5);
    for (const target of targets) {
      if (target.startsWith('#')) assert.ok(headings.has(target.slice(1)), `README: no heading for ${target}`);
      else assert.ok(existsSync(join(ROOT, target.split('#')[0])), `README: ${target} does not exist`);
    }
  });

  for (const program of readmePrograms()) {
    test(`README.md line ${program.line}: the ${program.language} program runs and prints what the README shows`, async () => {
      assert.notEqual(program.expected, undefined, `README.md line ${program.line}: a program needs its output in a \`\`\`text block right below it`);
      let code = localise(program.code);
      if (program.language === 'ts') {
        const ts = (await import('typescript')).default;
        code = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
      }
      const file = join(folder, `line-${program.line}.mjs`);
      writeFileSync(file, code);
      const result = await run(process.execPath, [file], { cwd: folder, encoding: 'utf8', timeout: RUN_LIMIT_MS })
        .then(({ stdout, stderr }) => ({ code: 0, stdout, stderr }))
        .catch((error: { code: number; stdout: string; stderr: string }) => error);
      assert.equal(result.code, 0, `README.md line ${program.line} exited ${result.code}:\n${result.stderr}`);
      assert.equal(result.stdout, localise(program.expected!));
    });
  }

  const shellLines = readmeBlocks().filter((b) => b.language === 'sh')
    .flatMap((block) => block.code.trimEnd().split('\n').map((text, i) => ({ text, line: block.line + 1 + i })));
  const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

  for (const { text, line } of shellLines) {
    test(`README.md line ${line}: ${text.replace(/\s+#.*$/, '')}`, async () => {
      const where = `README.md line ${line}`;
      let runIt = false;
      for (const command of shellCommands(text)) {
        const words = shellWords(command);
        const cli = cliArguments(words);
        if (cli !== null) {
          const name = await checkCliArguments(cli, where);
          const talksToLocalServer = command.includes(EXAMPLE_SERVER) || command.includes(FUZZ_TESTEE);
          if ((name === 'connect' || (name === 'fuzz' && cli[1] === 'server')) && talksToLocalServer) runIt = true;
        } else if (words[0] === 'npm') {
          if (words[1] === 'start') await checkCliArguments(['serve', ...words.slice(words.indexOf('--') + 1 || words.length)], where);
          else if (words[1] === 'run') assert.ok(words[2] in scripts, `${where}: no npm script ${words[2]}`);
          else assert.ok(['test', 'install', 'ci'].includes(words[1]), `${where}: npm ${words[1]}`);
        } else if (words[0] === 'sha256sum') {
          const { stdout } = await run('sha256sum', words.slice(1), { cwd: join(ROOT, 'vendor'), encoding: 'utf8' });
          assert.match(stdout, /: OK$/m);
        } else {
          assert.ok(['echo', 'printf', 'cd'].includes(words[0]), `${where}: the test does not know the command "${words[0]}"`);
        }
      }
      if (!runIt) return;
      // Run as a user would type it, with scriptling-ws being our CLI and stdin not a terminal.
      const script = `exec </dev/null\nscriptling-ws() { "${process.execPath}" "${CLI}" "$@"; }\n${localise(text)}`;
      const result = await run('bash', ['-c', script], { cwd: folder, encoding: 'utf8', timeout: RUN_LIMIT_MS })
        .then(({ stdout, stderr }) => ({ code: 0, stdout, stderr }))
        .catch((error: { code: number; stdout: string; stderr: string }) => error);
      assert.equal(result.code, 0, `${where} exited ${result.code}:\n${result.stderr}`);
      if (/\||\s-x\s|\s-1\s|fuzz/.test(text)) assert.notEqual(result.stdout, '', `${where} printed nothing`);
    });
  }
});
