// Drives `scriptling-ws` as a user would: a child process fed through stdin,
// read through stdout and stderr, optionally on a pseudo-terminal (util-linux
// `script`), waiting on output, never on the clock.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../helpers.js';

export const CLI = join(ROOT, 'dist', 'src', 'cli.js');

const quote = (arg: string): string => `'${arg.replace(/'/g, `'\\''`)}'`;

export class CliProcess {
  stdout = '';
  stderr = '';
  /** Raw stdout bytes, for --binary output. */
  readonly stdoutChunks: Buffer[] = [];
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly listeners = new Set<() => void>();
  private exitCode: number | null | undefined = undefined;

  /** `tty: true` runs it on a pseudo-terminal: stdin and stdout are then a TTY (and stderr joins stdout). */
  constructor(args: string[], { tty = false, env = {} }: { tty?: boolean; env?: Record<string, string> } = {}) {
    const command = [process.execPath, CLI, ...args];
    this.child = tty
      ? spawn('script', ['-qfec', command.map(quote).join(' '), '/dev/null'], { env: { ...process.env, ...env } })
      : spawn(command[0], command.slice(1), { env: { ...process.env, ...env } });
    this.child.stdout.on('data', (chunk: Buffer) => {
      this.stdoutChunks.push(chunk);
      this.stdout += chunk.toString();
      this.changed();
    });
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
      this.changed();
    });
    this.child.stdin.on('error', () => {}); // it may exit before reading everything
    this.exited = new Promise((resolve) => {
      this.child.once('close', (code) => {
        this.exitCode = code;
        this.changed();
        resolve(code);
      });
    });
  }

  private changed(): void {
    for (const listener of [...this.listeners]) listener();
  }

  /** Waits until `pattern` appears in the stream; fails with what was seen if the process exits first or `timeoutMs` passes. */
  waitFor(pattern: RegExp, stream: 'stdout' | 'stderr' = 'stdout', timeoutMs = 15_000): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(this[stream]);
        if (match !== null) done(() => resolve(match));
        else if (this.exitCode !== undefined) done(() => reject(new Error(`exited ${this.exitCode} before ${pattern} appeared on ${stream}:\n--- stdout\n${this.stdout}\n--- stderr\n${this.stderr}`)));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`no ${pattern} on ${stream} within ${timeoutMs} ms:\n--- stdout\n${this.stdout}\n--- stderr\n${this.stderr}`))), timeoutMs);
      const done = (settle: () => void) => {
        clearTimeout(timer);
        this.listeners.delete(check);
        settle();
      };
      this.listeners.add(check);
      check();
    });
  }

  write(text: string | Buffer): void {
    this.child.stdin.write(text);
  }

  end(text?: string | Buffer): void {
    this.child.stdin.end(text);
  }

  /** Closes our end of its stdout, as `| head -1` does once it has its line. */
  closeStdout(): void {
    this.child.stdout.destroy();
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    this.child.kill(signal);
  }

  /** The exit status, after `timeoutMs` at most (then the process is killed and the wait fails). */
  async status(timeoutMs = 15_000): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(new Error(`still running after ${timeoutMs} ms:\n--- stdout\n${this.stdout}\n--- stderr\n${this.stderr}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, expired]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Runs to completion with `input` on stdin; returns what it printed and its status. */
export async function runCli(args: string[], input = '', options: { env?: Record<string, string> } = {}): Promise<{ status: number | null; stdout: string; stderr: string; process: CliProcess }> {
  const cli = new CliProcess(args, options);
  cli.end(input);
  const status = await cli.status();
  return { status, stdout: cli.stdout, stderr: cli.stderr, process: cli };
}
