import { join } from 'node:path';
import { findFreePort } from '@imageforge/embedded-redis';
import type { GenerationBody } from '../load/image-requests';
import type { LoadGeneratorMethods } from '../load/load-generator.child';
import { ProcessSampler } from '../processes/process-stats';
import { RpcChild } from '../processes/rpc-child';
import { BENCH_PROFILE, BENCH_SIZE, prepareServiceEnv } from '../stack/app-stack';
import { ServiceProcess } from '../stack/service-process';
import { BASELINE_WORKER_CONCURRENCY } from './baseline-suite';
import { runPairedSync, type PairedRun, type PairedSummary, type Variant } from './paired-sync-runs';
import { stopOnInterrupt, withRedis, type SuiteContext } from './suite-context';
import { BENCH_CACHED_MODEL } from './sync-suite';

/** Every limit set, far above what the run reaches: each request and job pays for every script, none is refused. */
export const LIMITS_ON_ENV = {
  RATE_LIMIT_REQUESTS_PER_MINUTE: '100000000',
  RATE_LIMIT_IMAGES_PER_MINUTE: '100000000',
  RATE_LIMIT_CONCURRENT_JOBS: '100000',
  QUOTA_DAILY_IMAGES: '1000000000',
} as const;
/** The goal's client count, and one client for the latency a request gains. */
const LEVELS = [1, 64] as const;

export interface LimitsResult {
  limits: Record<string, string>;
  rounds: number;
  runs: PairedRun[];
  /** Per client count: median req/s and p50 of each variant, and the median of each round's paired cost (off vs on back to back). */
  summary: PairedSummary[];
}

/**
 * The limiter's price on the sync hot path: two API processes on one Redis and one worker
 * (cached synthetic engine), one with no limits configured and one with all four, driven
 * in alternating order round after round so drift in Redis or the machine falls on both.
 * The worker is the same for both, so its release of each job's slot (one ZREM) is in
 * both figures; what differs is the API's two scripts per request.
 */
export async function runLimitsSuite(context: SuiteContext): Promise<LimitsResult> {
  // At least two rounds, so each variant goes first once.
  const rounds = context.options.quick ? 2 : 6;
  return withRedis(context, 'limits', async (redis) => {
    const model = { id: BENCH_CACHED_MODEL, profile: BENCH_PROFILE, queue: 'images', engine: { kind: 'synthetic', render: 'cached' } };
    const { env, baseUrl, apiKey } = await prepareServiceEnv({ name: 'limits', workDir: context.workDir, redisUrl: redis.url, models: [model], workerConcurrency: BASELINE_WORKER_CONCURRENCY });
    const onPort = await findFreePort('127.0.0.1');
    const onUrl = `http://127.0.0.1:${onPort}`;
    const processes = {
      off: ServiceProcess.start({ name: 'api (limits off)', entry: 'apps/api/src/main.ts', cwd: context.repoRoot, env }),
      on: ServiceProcess.start({ name: 'api (limits on)', entry: 'apps/api/src/main.ts', cwd: context.repoRoot, env: { ...env, ...LIMITS_ON_ENV, PORT: String(onPort), PUBLIC_BASE_URL: onUrl } }),
      worker: ServiceProcess.start({ name: 'worker', entry: 'apps/worker/src/main.ts', cwd: context.repoRoot, env }),
    };
    const stopAll = () => Promise.all(Object.values(processes).map((process) => process.stop())).then(() => undefined);
    const unregister = stopOnInterrupt(stopAll);
    const urls: Record<Variant, string> = { off: baseUrl, on: onUrl };
    const sampler = new ProcessSampler({ off: processes.off.pid, on: processes.on.pid, worker: processes.worker.pid, redis: redis.pid ?? -1 });
    let load: RpcChild<LoadGeneratorMethods> | undefined;
    try {
      load = await RpcChild.fork<LoadGeneratorMethods>('load-generator', join(__dirname, '../load/load-generator.child.ts'), { cwd: context.repoRoot });
      const body: GenerationBody = { model: BENCH_CACHED_MODEL, prompt: 'a lighthouse on a cliff at dusk, oil painting', size: BENCH_SIZE, n: 1, response_format: 'b64_json' };
      // The worker is shared: both variants' jobs run on it.
      const { runs, summary } = await runPairedSync({
        afterReady: () => assertLimited(onUrl, baseUrl, apiKey),
        context,
        label: 'limits',
        load,
        urls,
        apiKey,
        body,
        samplerNames: { off: { api: 'off', worker: 'worker' }, on: { api: 'on', worker: 'worker' } },
        sampler,
        rounds,
        levels: LEVELS,
      });
      for (const process of Object.values(processes)) process.assertAlive();
      return { limits: { ...LIMITS_ON_ENV }, rounds, runs, summary };
    } finally {
      sampler.stop();
      await load?.stop();
      await stopAll();
      unregister();
    }
  });
}

/** The "on" process must really be counting, and the "off" one not: otherwise the comparison measures nothing. */
async function assertLimited(onUrl: string, offUrl: string, apiKey: string): Promise<void> {
  const headers = { authorization: `Bearer ${apiKey}` };
  const [on, off] = await Promise.all([fetch(`${onUrl}/v1/models`, { headers }), fetch(`${offUrl}/v1/models`, { headers })]);
  if (on.headers.get('x-ratelimit-limit-requests') !== LIMITS_ON_ENV.RATE_LIMIT_REQUESTS_PER_MINUTE) throw new Error('the limited API answered without x-ratelimit headers');
  if (off.headers.get('x-ratelimit-limit-requests') !== null) throw new Error('the unlimited API answered with x-ratelimit headers');
}
