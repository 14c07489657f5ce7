import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RedisServerProcess } from '@imageforge/embedded-redis';
import { prepareServiceEnv } from '../stack/app-stack';
import { ServiceProcess } from '../stack/service-process';

export interface ChaosStackOptions {
  repoRoot: string;
  workDir: string;
  workers: number;
  workerConcurrency: number;
  /** Engine delay per image: a stand-in for GPU time. */
  delayMsPerImage: number;
}

export const CHAOS_MODEL = 'chaos-model';

/**
 * The service as separate processes on a Redis with AOF: one API, `workers` workers,
 * local storage. Faults are real: SIGKILL of a worker or of redis-server (restarted on
 * the same port and AOF), and a storage root swapped for a file so every read and write fails.
 */
export class ChaosStack {
  readonly workers: ServiceProcess[] = [];
  /** Every worker pid that ever ran, for RSS readings. */
  readonly workerPids: number[] = [];
  private constructor(
    private readonly options: ChaosStackOptions,
    private redis: RedisServerProcess,
    private readonly redisDir: string,
    readonly api: ServiceProcess,
    private readonly env: Record<string, string>,
    readonly storageDir: string,
    readonly baseUrl: string,
    readonly apiKey: string,
  ) {}

  static async start(options: ChaosStackOptions): Promise<ChaosStack> {
    const redisDir = join(options.workDir, 'chaos-redis');
    const redis = await RedisServerProcess.start({ appendOnly: true, dataDir: redisDir });
    const engine = { kind: 'synthetic', render: 'cached', delayMsPerImage: options.delayMsPerImage };
    const service = await prepareServiceEnv({
      name: 'chaos',
      workDir: options.workDir,
      redisUrl: redis.url,
      models: [{ id: CHAOS_MODEL, profile: 'dall-e-2', queue: 'images', engine }],
      workerConcurrency: options.workerConcurrency,
    });
    const env: Record<string, string> = {
      ...service.env,
      // Short enough that a killed worker's jobs come back within seconds, as a tuned deployment would have it.
      WORKER_LOCK_DURATION_MS: '5000',
      WORKER_STALLED_INTERVAL_MS: '2000',
      SYNC_TIMEOUT_MS: '120000',
    };
    const { baseUrl, apiKey, storageDir } = service;
    const api = ServiceProcess.start({ name: 'api', entry: 'apps/api/src/main.ts', cwd: options.repoRoot, env });
    const stack = new ChaosStack(options, redis, redisDir, api, env, storageDir, baseUrl, apiKey);
    for (let index = 0; index < options.workers; index++) stack.startWorker(index);
    return stack;
  }

  get redisUrl(): string {
    return this.redis.url;
  }

  startWorker(index: number): void {
    const worker = ServiceProcess.start({ name: `worker-${index}`, entry: 'apps/worker/src/main.ts', cwd: this.options.repoRoot, env: { ...this.env, WORKER_NAME: `chaos-worker-${index}` } });
    this.workers[index] = worker;
    this.workerPids.push(worker.pid);
  }

  /** SIGKILL, as the OOM killer or a lost node would; back after `downMs`, as a supervisor would bring it. */
  async killWorker(index: number, downMs: number): Promise<void> {
    process.kill(this.workers[index]!.pid, 'SIGKILL');
    await sleep(downMs);
    this.startWorker(index);
  }

  /** SIGKILL of redis-server, then a new one on the same port reading the same AOF. */
  async restartRedis(downMs: number): Promise<void> {
    const port = this.redis.port;
    if (this.redis.pid) process.kill(this.redis.pid, 'SIGKILL');
    await sleep(downMs);
    this.redis = await RedisServerProcess.start({ appendOnly: true, dataDir: this.redisDir, port });
  }

  /** Every storage read and write fails for `downMs`: the root is moved away and a file stands in its place. */
  async storageOutage(downMs: number): Promise<void> {
    const away = `${this.storageDir}.away`;
    renameSync(this.storageDir, away);
    writeFileSync(this.storageDir, 'storage is down');
    await sleep(downMs);
    rmSync(this.storageDir, { force: true });
    renameSync(away, this.storageDir);
  }

  async stop(): Promise<void> {
    await Promise.all([this.api.stop(), ...this.workers.map((worker) => worker.stop())]);
    await this.redis.stop();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
