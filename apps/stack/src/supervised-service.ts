import { ChildService, describeExit, type ChildExit } from './child-service';

export interface RestartPolicy {
  /** Crashes within `windowMs` after which the service is given up on. */
  maxRestarts: number;
  windowMs: number;
  /** First delay before a restart; doubles with each crash in the window. */
  initialDelayMs: number;
  maxDelayMs: number;
}

export interface SupervisedServiceOptions {
  name: string;
  entry: string;
  env: NodeJS.ProcessEnv;
  policy: RestartPolicy;
  log(line: string): void;
  /** Called once when the service crashed too often; the stack then stops. */
  onGiveUp(exit: ChildExit): void;
}

/**
 * Keeps one service running: a child that exits while the stack is not stopping is
 * restarted after a backoff that doubles per recent crash, so one crash costs a
 * second while a crash loop cannot spin. The other services keep serving meanwhile.
 */
export class SupervisedService {
  private child: ChildService;
  private readonly crashes: number[] = [];
  private restartTimer: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(private readonly options: SupervisedServiceOptions) {
    this.child = this.spawn();
  }

  get name(): string {
    return this.options.name;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Stops supervising and the current child (SIGTERM, SIGKILL past the deadline). */
  async stop(deadlineMs: number): Promise<ChildExit> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    return this.child.stop(deadlineMs);
  }

  kill(): void {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    this.child.kill();
  }

  private spawn(): ChildService {
    const child = new ChildService(this.options.name, this.options.entry, this.options.env);
    void child.exited.then((exit) => this.onExit(child, exit));
    return child;
  }

  private onExit(child: ChildService, exit: ChildExit): void {
    if (this.stopping || child !== this.child) return;
    const now = Date.now();
    this.crashes.push(now);
    while (this.crashes.length > 0 && now - this.crashes[0]! > this.options.policy.windowMs) this.crashes.shift();
    const { maxRestarts, windowMs, initialDelayMs, maxDelayMs } = this.options.policy;
    if (this.crashes.length > maxRestarts) {
      this.stopping = true;
      this.options.log(`${this.name} crashed ${this.crashes.length} times within ${Math.round(windowMs / 1000)} s (last: ${describeExit(exit)}); giving up`);
      this.options.onGiveUp(exit);
      return;
    }
    const delay = Math.min(initialDelayMs * 2 ** (this.crashes.length - 1), maxDelayMs);
    this.options.log(`${this.name} exited unexpectedly with ${describeExit(exit)}; restarting in ${delay} ms`);
    this.restartTimer = setTimeout(() => {
      if (this.stopping) return;
      this.child = this.spawn();
      this.options.log(`restarted ${this.name} (pid ${this.child.pid})`);
    }, delay);
  }
}
