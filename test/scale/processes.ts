// Processes for the scale-out tests: the chat server (chat-server.mjs),
// redis-server and nginx, each on a free port of 127.0.0.1 with its files in
// a temporary folder, and the chat's clients.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import * as ws from '../../src/scriptling/index.js';
import { freePort } from '../helpers.js';

const HERE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'scale');

/** Whether a program is installed; tests needing it skip with this message when it is not. */
export function missing(program: string, debianPackage: string): string | false {
  const found = spawnSync('sh', ['-c', `command -v ${program} || test -x /usr/sbin/${program}`]).status === 0;
  return found ? false : `${program} is not installed (Debian package ${debianPackage}; .ci/run installs it)`;
}

function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

export interface ChatServer {
  port: number;
  /** The workers' pids (with --workers), as the primary printed them at its start. */
  workers: number[];
  child: ChildProcess;
  stderr: () => string;
  /** Publishes from the primary's (or the only process's) runtime. */
  publish(topic: string, message: string): void;
  /** Ends stdin: the server closes (1001 to its clients) and exits; resolves with its exit code. */
  stop(): Promise<number | null>;
}

/** Starts test/scale/chat-server.mjs with these arguments; resolves once it listens. */
export async function startChatServer(args: string[]): Promise<ChatServer> {
  const child = spawn(process.execPath, [join(HERE, 'chat-server.mjs'), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const lines = createInterface({ input: child.stdout! });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    // 'close', not 'exit': its stderr is read to the end by then, so the reason is in the message.
    child.once('close', (code) => reject(new Error(`chat-server.mjs ${args.join(' ')} exited (${code}) before listening: ${stderr}`)));
  });
  const { port, workers } = JSON.parse(first) as { port: number; workers: number[] };
  return {
    port, workers, child, stderr: () => stderr,
    publish(topic, message) {
      child.stdin!.write(`publish ${topic} ${message}\n`);
    },
    async stop() {
      child.stdin!.end();
      return exited(child);
    },
  };
}

export interface ChatClient {
  client: ws.WebSocketConnection;
  /** The pid of the process that took the connection. */
  backend: number;
}

/** Joins the chat at ws://127.0.0.1:port/chat and reads its welcome; the server has then subscribed it. */
export async function joinChat(port: number, path = '/chat', connectTimeout = 10): Promise<ChatClient> {
  const client = await ws.connect(`ws://127.0.0.1:${port}${path}`, connectTimeout);
  const backend = Number(/^x-backend: *(\d+)/im.exec(client.engine.handshake!.response)?.[1]);
  if (path === '/chat') assert.equal(await client.receive(10), 'Welcome to the chat!');
  return { client, backend };
}

/**
 * Reads until `count` messages have come, each within `seconds`; then a
 * marker published last must be the next one: nothing arrived twice.
 */
export async function readMessages(client: ws.WebSocketConnection, count: number, seconds = 10): Promise<string[]> {
  const messages: string[] = [];
  while (messages.length < count) {
    const msg = await client.receive(seconds);
    assert.notEqual(msg, null, `message ${messages.length + 1} of ${count} within ${seconds} s (have ${JSON.stringify(messages.slice(-3))})`);
    messages.push(msg as string);
  }
  return messages;
}

/** A redis-server of its own: a free port, a temporary folder, no persistence; stop() ends it. */
export class RedisServer {
  child: ChildProcess | null = null;
  readonly dir = mkdtempSync(join(tmpdir(), 'scriptling-redis-'));
  private tlsFiles: { key: string; cert: string } | null = null;
  private constructor(readonly port: number, private readonly extra: string[], private readonly password: string | null) {}

  /**
   * `extra`: redis-server's own arguments; `password`: the one redis-cli
   * needs (--requirepass); `tls`: a key and certificate (PEM) to serve
   * rediss:// only, on the port.
   */
  static async start(extra: string[] = [], { password = null as string | null, tls = null as { key: Buffer; cert: Buffer } | null } = {}): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), extra, password);
    if (tls !== null) {
      server.tlsFiles = { key: join(server.dir, 'key.pem'), cert: join(server.dir, 'cert.pem') };
      writeFileSync(server.tlsFiles.key, tls.key);
      writeFileSync(server.tlsFiles.cert, tls.cert);
    }
    await server.restart();
    return server;
  }

  get url(): string {
    return `${this.tlsFiles === null ? 'redis' : 'rediss'}://127.0.0.1:${this.port}`;
  }

  /** Starts it (again, on the same port); resolves once it accepts connections. */
  async restart(): Promise<void> {
    const ports = this.tlsFiles === null ? ['--port', String(this.port)]
      : ['--port', '0', '--tls-port', String(this.port), '--tls-cert-file', this.tlsFiles.cert, '--tls-key-file', this.tlsFiles.key, '--tls-auth-clients', 'no'];
    const child = spawn('redis-server', [...ports, '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--appendonly', 'no', ...this.extra], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) resolve();
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${output}`)));
    });
    child.stdout!.resume();
  }

  /** Stops it (SIGTERM: it closes every client connection) and waits for its exit. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child === null) return;
    child.kill('SIGTERM');
    await exited(child);
  }

  /** Runs redis-cli against it. */
  cli(...args: string[]): string {
    const auth = this.password === null ? [] : ['--no-auth-warning', '-a', this.password];
    const tls = this.tlsFiles === null ? [] : ['--tls', '--cacert', this.tlsFiles.cert];
    const result = spawnSync('redis-cli', ['-p', String(this.port), ...tls, ...auth, ...args], { encoding: 'utf8' });
    return result.stdout.trim();
  }

  /** Resolves once `channel` has `count` subscribers (Redis pub/sub keeps nothing for a channel nobody holds yet). */
  async subscribers(channel: string, count: number, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const answer = this.cli('PUBSUB', 'NUMSUB', channel).split('\n');
      if (Number(answer[1]) >= count) return;
      if (Date.now() > deadline) throw new Error(`${channel} has ${answer[1]} subscribers, not ${count}, after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** nginx in front of `backends`, as a deployment runs it (config in a temporary folder, not a daemon). */
export class Nginx {
  readonly dir = mkdtempSync(join(tmpdir(), 'scriptling-nginx-'));
  private child: ChildProcess | null = null;
  private constructor(readonly port: number) {}

  static async start(backends: number[]): Promise<Nginx> {
    const nginx = new Nginx(await freePort());
    const dir = nginx.dir;
    writeFileSync(join(dir, 'nginx.conf'), `
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream chat {
${backends.map((port) => `    server 127.0.0.1:${port} max_fails=1 fail_timeout=30s;`).join('\n')}
  }
  server {
    listen 127.0.0.1:${nginx.port};
    location / {
      proxy_pass http://chat;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection "upgrade";
      proxy_set_header Host $host;
      proxy_read_timeout 3600s;
    }
  }
}
`);
    const binary = spawnSync('sh', ['-c', 'command -v nginx || echo /usr/sbin/nginx'], { encoding: 'utf8' }).stdout.trim();
    const child = spawn(binary, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] });
    nginx.child = child;
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    // Listening once a TCP connection is accepted.
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`nginx exited (${child.exitCode}): ${stderr}`);
      const up = await new Promise<boolean>((resolve) => {
        const socket = net.connect(nginx.port, '127.0.0.1', () => {
          socket.destroy();
          resolve(true);
        });
        socket.on('error', () => resolve(false));
      });
      if (up) return nginx;
      if (Date.now() > deadline) throw new Error(`nginx did not listen within 10 s: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 20)); // nginx says nothing when it listens: try again
    }
  }

  async dispose(): Promise<void> {
    const child = this.child;
    if (child !== null && child.exitCode === null) {
      child.kill('SIGQUIT');
      await exited(child);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
