import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findFreePort } from '@imageforge/embedded-redis';
import { ServiceProcess } from './service-process';

/** A model the bench registers; `delayMsPerImage` makes the synthetic engine wait like a GPU would. */
export interface BenchModel {
  id: string;
  delayMsPerImage?: number;
  /** Validation profile. Default `dall-e-2` (BENCH_PROFILE). */
  profile?: 'dall-e-2' | 'gpt-image';
  /** Synthetic engine rendering. Default `procedural`. */
  render?: 'procedural' | 'cached';
}

/**
 * The smallest image the service accepts: dall-e-2's 256x256 (gpt-image-2 takes free
 * sizes but at least 655,360 pixels), so the engine's own work stays small.
 */
export const BENCH_PROFILE = 'dall-e-2';
export const BENCH_SIZE = '256x256';

/** Options for {@link AppStack.start}. */
export interface AppStackOptions {
  name: string;
  repoRoot: string;
  workDir: string;
  redisUrl: string;
  models: BenchModel[];
  /** WORKER_CONCURRENCY of the worker process. */
  workerConcurrency: number;
  /** Directory for `--cpu-prof` output, or undefined for no profiling. */
  profileDir?: string;
  /** Give up when the API has not answered /healthz after this long. Default 60 s. */
  startTimeoutMs?: number;
}

/** The API and worker apps as separate processes, configured only through their environment. */
export class AppStack {
  private constructor(
    readonly api: ServiceProcess,
    readonly worker: ServiceProcess,
    readonly baseUrl: string,
    readonly apiKey: string,
  ) {}

  static async start(options: AppStackOptions): Promise<AppStack> {
    const { env, baseUrl, apiKey } = await prepareServiceEnv({
      name: options.name,
      workDir: options.workDir,
      redisUrl: options.redisUrl,
      models: options.models.map(registryEntry),
      workerConcurrency: options.workerConcurrency,
    });
    const profile = (role: string) => (options.profileDir ? ['--cpu-prof', '--cpu-prof-dir', join(options.profileDir, `${options.name}-${role}`)] : []);
    const api = ServiceProcess.start({ name: 'api', entry: 'apps/api/src/main.ts', cwd: options.repoRoot, env, execArgv: profile('api') });
    const worker = ServiceProcess.start({ name: 'worker', entry: 'apps/worker/src/main.ts', cwd: options.repoRoot, env, execArgv: profile('worker') });
    const stack = new AppStack(api, worker, baseUrl, apiKey);
    try {
      await stack.waitForHealth(options.startTimeoutMs ?? 60_000);
    } catch (error) {
      await stack.stop();
      throw error;
    }
    return stack;
  }

  /** Reads a JSON document from the API (health, ops endpoints); undefined when it is not there. */
  async getJson(path: string): Promise<unknown> {
    try {
      const response = await fetch(`${this.baseUrl}${path}`, { headers: { authorization: `Bearer ${this.apiKey}` }, signal: AbortSignal.timeout(5_000) });
      if (!response.ok) return undefined;
      const text = await response.text();
      try {
        return JSON.parse(text);
      } catch {
        return text;
      }
    } catch {
      return undefined;
    }
  }

  async stop(): Promise<void> {
    await Promise.all([this.api.stop(), this.worker.stop()]);
  }

  private async waitForHealth(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      this.api.assertAlive();
      this.worker.assertAlive();
      try {
        const response = await fetch(`${this.baseUrl}/healthz`, { signal: AbortSignal.timeout(2_000) });
        if (response.ok) return;
      } catch {
        // Not listening yet.
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`API did not answer GET /healthz within ${timeoutMs} ms:\n${this.api.tail()}`);
  }
}

export interface ServiceEnv {
  env: Record<string, string>;
  baseUrl: string;
  apiKey: string;
  storageDir: string;
}

/**
 * What the API and workers of a bench stack are started with: a free port, a fresh key and
 * signing secret, local storage and a registry file of `models` under the run's work directory.
 */
export async function prepareServiceEnv(options: { name: string; workDir: string; redisUrl: string; models: unknown[]; workerConcurrency: number }): Promise<ServiceEnv> {
  const port = await findFreePort('127.0.0.1');
  const apiKey = `sk-bench-${randomBytes(12).toString('hex')}`;
  const storageDir = join(options.workDir, `storage-${options.name}`);
  mkdirSync(storageDir, { recursive: true });
  const registryPath = join(options.workDir, `registry-${options.name}.json`);
  writeFileSync(registryPath, JSON.stringify({ models: options.models }, null, 2));
  const baseUrl = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_BASE_URL: baseUrl,
    REDIS_URL: options.redisUrl,
    API_KEYS: apiKey,
    STORAGE_DRIVER: 'local',
    STORAGE_LOCAL_DIR: storageDir,
    STORAGE_SIGNING_SECRET: randomBytes(24).toString('hex'),
    MODEL_REGISTRY_PATH: registryPath,
    WORKER_CONCURRENCY: String(options.workerConcurrency),
    LOG_LEVEL: 'warn',
  };
  return { env, baseUrl, apiKey, storageDir };
}

function registryEntry(model: BenchModel): Record<string, unknown> {
  const engine: Record<string, unknown> = { kind: 'synthetic' };
  if (model.delayMsPerImage !== undefined) engine.delayMsPerImage = model.delayMsPerImage;
  if (model.render !== undefined) engine.render = model.render;
  return { id: model.id, profile: model.profile ?? BENCH_PROFILE, queue: 'images', engine };
}
