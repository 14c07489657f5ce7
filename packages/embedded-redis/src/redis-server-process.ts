import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { findFreePort } from './free-port';

export interface RedisServerOptions {
  /** Port to listen on; default: a free port. */
  port?: number;
  /** Directory for AOF/RDB files; default: none kept (no persistence). */
  dataDir?: string;
  /** Append-only file with fsync every second, as recommended for BullMQ in production. Default false. */
  appendOnly?: boolean;
  /** Binary to run. Default `redis-server` from PATH. */
  binary?: string;
  /** Give up waiting for PONG after this long. Default 10 s. */
  startTimeoutMs?: number;
  /** Further `redis-server` arguments, appended last so they override the ones above (e.g. cluster mode). Default none. */
  extraArgs?: readonly string[];
  /**
   * Run it in a process group of its own, so a terminal's Ctrl-C reaches only the parent,
   * which can then stop it after the processes that still need it. Default false.
   */
  detached?: boolean;
}

/**
 * A redis-server child process on loopback, configured the way BullMQ needs
 * (`maxmemory-policy noeviction`). Used by `pnpm start` when REDIS_URL is unset,
 * by the test harness and by the benchmarks.
 */
export class RedisServerProcess {
  private exited = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    readonly host: string,
  ) {
    child.once('exit', () => {
      this.exited = true;
    });
  }

  get url(): string {
    return `redis://${this.host}:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  static async start(options: RedisServerOptions = {}): Promise<RedisServerProcess> {
    const host = '127.0.0.1';
    const port = options.port ?? (await findFreePort(host));
    const args = ['--port', String(port), '--bind', host, '--maxmemory-policy', 'noeviction', '--save', ''];
    if (options.dataDir) {
      mkdirSync(options.dataDir, { recursive: true });
      args.push('--dir', options.dataDir);
    }
    args.push('--appendonly', options.appendOnly ? 'yes' : 'no');
    if (options.appendOnly) args.push('--appendfsync', 'everysec');
    if (options.extraArgs) args.push(...options.extraArgs);
    const child = spawn(options.binary ?? 'redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'], detached: options.detached ?? false });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      if (output.length < 8192) output += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      if (output.length < 8192) output += chunk.toString();
    });
    const spawnError = new Promise<never>((_, reject) => {
      child.once('error', (error) => reject(new Error(`cannot start redis-server: ${error.message}`)));
      child.once('exit', (code) => reject(new Error(`redis-server exited with code ${code}:\n${output}`)));
    });
    const server = new RedisServerProcess(child, port, host);
    try {
      await Promise.race([waitForPong(host, port, options.startTimeoutMs ?? 10_000), spawnError]);
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
    spawnError.catch(() => undefined);
    return server;
  }

  /** Stops the server (SIGTERM, then SIGKILL after a grace period). */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.exited) return;
    const done = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await done;
    clearTimeout(timer);
  }
}

/** Resolves once the server answers PING; keeps retrying until the deadline. */
export async function waitForPong(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await ping(host, port)) return;
    if (Date.now() > deadline) throw new Error(`redis-server on ${host}:${port} did not answer PING within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function ping(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => finish(data.toString().startsWith('+PONG')));
  });
}
