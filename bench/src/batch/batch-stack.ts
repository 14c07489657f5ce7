import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { prepareServiceEnv } from '../stack/app-stack';
import { ServiceProcess } from '../stack/service-process';

/** Options for {@link BatchStack.start}. */
export interface BatchStackOptions {
  name: string;
  repoRoot: string;
  workDir: string;
  redisUrl: string;
  /** Registry entries, as written to the registry file. */
  models: unknown[];
  workerConcurrency: number;
  /** Directory for `--cpu-prof` output of every process, or undefined for no profiling. */
  profileDir?: string;
}

/**
 * The API with two keys (two owners) and workers started one at a time, each with its
 * own environment on top of the API's: the batch suite starts a worker that serves only
 * the batch phases, then the one that drains the lines.
 */
export class BatchStack {
  private readonly workers: ServiceProcess[] = [];

  private constructor(
    private readonly options: BatchStackOptions,
    private readonly env: Record<string, string>,
    readonly api: ServiceProcess,
    readonly baseUrl: string,
    /** Keys of owner A and owner B. */
    readonly apiKeys: readonly [string, string],
  ) {}

  static async start(options: BatchStackOptions): Promise<BatchStack> {
    const service = await prepareServiceEnv({
      name: options.name,
      workDir: options.workDir,
      redisUrl: options.redisUrl,
      models: options.models,
      workerConcurrency: options.workerConcurrency,
    });
    const second = `sk-bench-${randomBytes(12).toString('hex')}`;
    // No sweep wakes up mid-measurement.
    const env = { ...service.env, API_KEYS: `${service.apiKey},${second}`, RETENTION_SWEEP_INTERVAL_MS: '0' };
    const api = ServiceProcess.start({ name: 'api', entry: 'apps/api/src/main.ts', cwd: options.repoRoot, env, execArgv: profileArgs(options, 'api') });
    const stack = new BatchStack(options, env, api, service.baseUrl, [service.apiKey, second]);
    try {
      await stack.waitForHealth(60_000);
    } catch (error) {
      await stack.stop();
      throw error;
    }
    return stack;
  }

  /** Starts a worker process with `extraEnv` over the stack's environment; it is ready once it takes jobs. */
  startWorker(name: string, extraEnv: Record<string, string> = {}): ServiceProcess {
    const worker = ServiceProcess.start({
      name: `worker-${name}`,
      entry: 'apps/worker/src/main.ts',
      cwd: this.options.repoRoot,
      env: { ...this.env, WORKER_NAME: `bench-${name}`, ...extraEnv },
      execArgv: profileArgs(this.options, `worker-${name}`),
    });
    this.workers.push(worker);
    return worker;
  }

  assertAlive(): void {
    this.api.assertAlive();
    for (const worker of this.workers) worker.assertAlive();
  }

  async stop(): Promise<void> {
    await Promise.all([this.api.stop(), ...this.workers.map((worker) => worker.stop())]);
  }

  private async waitForHealth(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      this.api.assertAlive();
      const response = await fetch(`${this.baseUrl}/healthz`, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
      if (response?.ok) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`API did not answer GET /healthz within ${timeoutMs} ms:\n${this.api.tail()}`);
  }
}

function profileArgs(options: BatchStackOptions, role: string): string[] {
  return options.profileDir ? ['--cpu-prof', '--cpu-prof-dir', join(options.profileDir, `${options.name}-${role}`)] : [];
}
