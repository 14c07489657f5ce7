import { spawn, type ChildProcess } from 'node:child_process';

/** How a child ended: its exit code, or the signal that killed it. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * A Node service run from its TypeScript main through tsx, with its output inherited.
 * It runs in a process group of its own: a terminal's Ctrl-C then reaches only the
 * launcher, which stops the services one by one, in order, with one SIGTERM each.
 * (Had the worker got the terminal's SIGINT as well, the launcher's SIGTERM would be
 * its second signal, on which it exits at once and leaves its jobs to stalled detection.)
 */
export class ChildService {
  private readonly child: ChildProcess;
  readonly exited: Promise<ChildExit>;

  constructor(
    readonly name: string,
    entry: string,
    env: NodeJS.ProcessEnv,
  ) {
    this.child = spawn(process.execPath, ['--import', 'tsx', entry], { env, stdio: ['ignore', 'inherit', 'inherit'], detached: true });
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGTERM, then SIGKILL past the deadline. Resolves with how it ended. */
  async stop(deadlineMs: number): Promise<ChildExit> {
    if (this.running) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), deadlineMs);
      await this.exited;
      clearTimeout(timer);
    }
    return this.exited;
  }

  /** Last resort when the launcher itself is going down: nothing is waited for. */
  kill(): void {
    if (this.running) this.child.kill('SIGKILL');
  }
}

export function describeExit({ code, signal }: ChildExit): string {
  return signal ? `signal ${signal}` : `code ${code}`;
}
