import { fork, type ChildProcess } from 'node:child_process';
import { RPC_READY, type RpcMethods, type RpcResponse } from './rpc-protocol';

/** Options for {@link RpcChild.fork}. */
export interface RpcChildOptions {
  /** Working directory; default: the driver's. */
  cwd?: string;
  /** Extra environment merged over the driver's. */
  env?: Record<string, string>;
  /** Extra node flags, e.g. `--cpu-prof`. Default none. */
  execArgv?: string[];
  /** Give up if the child has not reported ready after this long. Default 30 s. */
  startTimeoutMs?: number;
}

/** Driver side of a bench child process (load generator, baseline caller or worker). */
export class RpcChild<Methods extends RpcMethods> {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private exitError: Error | undefined;

  private constructor(private readonly child: ChildProcess, readonly name: string) {
    child.on('message', (message: RpcResponse) => {
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.ok) waiter.resolve(message.result);
      else waiter.reject(new Error(`${name}: ${message.message}`));
    });
    child.once('exit', (code, signal) => {
      this.exitError = new Error(`${name} exited (code ${code}, signal ${signal})`);
      for (const waiter of this.pending.values()) waiter.reject(this.exitError);
      this.pending.clear();
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Forks a TypeScript module through tsx and waits for its {@link RPC_READY}. */
  static async fork<Methods extends RpcMethods>(name: string, modulePath: string, options: RpcChildOptions = {}): Promise<RpcChild<Methods>> {
    const child = fork(modulePath, [], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      execArgv: ['--import', 'tsx', ...(options.execArgv ?? [])],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} did not start within ${options.startTimeoutMs ?? 30_000} ms`)), options.startTimeoutMs ?? 30_000);
      child.on('message', (message) => {
        if (message === RPC_READY) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited with code ${code} before it was ready`));
      });
    });
    try {
      await ready;
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
    return new RpcChild<Methods>(child, name);
  }

  /** Calls a method in the child; rejects after `timeoutMs` so no run can hang the driver. */
  call<M extends keyof Methods & string>(method: M, params: Parameters<Methods[M]>[0], timeoutMs: number): ReturnType<Methods[M]> {
    if (this.exitError) return Promise.reject(this.exitError) as ReturnType<Methods[M]>;
    const id = this.nextId++;
    const result = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}.${method} took longer than ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
    });
    this.child.send({ id, method, params });
    return result as ReturnType<Methods[M]>;
  }

  /** Disconnects (the child cleans up and exits), then SIGKILLs after a grace period. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    if (this.child.connected) this.child.disconnect();
    else this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}
