import { spawn, type ChildProcess } from 'node:child_process';

/** Options for {@link ServiceProcess.start}. */
export interface ServiceProcessOptions {
  name: string;
  /** Entry module relative to `cwd`, e.g. `apps/api/src/main.ts`. */
  entry: string;
  cwd: string;
  env: Record<string, string>;
  /** Extra node flags such as `--cpu-prof`. Default none. */
  execArgv?: string[];
}

/**
 * An app started from its main the way operators start it (`node --import tsx`), so
 * the pid is the node process itself and /proc readings are the app's own.
 */
export class ServiceProcess {
  private output = '';
  private exitCode: number | null | undefined;
  private stopping = false;

  private constructor(private readonly child: ChildProcess, readonly name: string) {
    const keep = (chunk: Buffer) => {
      // Only the tail matters, for saying why a process died.
      this.output = (this.output + chunk.toString()).slice(-4_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('exit', (code, signal) => {
      this.exitCode = code ?? (signal ? -1 : null);
    });
  }

  static start(options: ServiceProcessOptions): ServiceProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', ...(options.execArgv ?? []), options.entry], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'production', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new ServiceProcess(child, options.name);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get exited(): boolean {
    return this.exitCode !== undefined;
  }

  /** Last lines the process printed, for error messages. */
  tail(lines = 15): string {
    return this.output.trim().split('\n').slice(-lines).join('\n');
  }

  /** Throws with the process's own output if it died without being asked to stop. */
  assertAlive(): void {
    if (this.exited && !this.stopping) throw new Error(`${this.name} exited with code ${this.exitCode}:\n${this.tail()}`);
  }

  /** SIGTERM for a graceful shutdown (which also flushes `--cpu-prof`), SIGKILL after the grace period. */
  async stop(graceMs = 15_000): Promise<void> {
    this.stopping = true;
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}
