import { join } from 'node:path';
import { findFreePort } from '@imageforge/embedded-redis';
import type { HttpRunResult } from '../bench-results';
import type { GenerationBody } from '../load/image-requests';
import type { LoadGeneratorMethods } from '../load/load-generator.child';
import { ProcessSampler } from '../processes/process-stats';
import { RpcChild } from '../processes/rpc-child';
import { BENCH_PROFILE, BENCH_SIZE, prepareServiceEnv } from '../stack/app-stack';
import { ServiceProcess } from '../stack/service-process';
import { BASELINE_WORKER_CONCURRENCY, runTimeout } from './baseline-suite';
import { stopOnInterrupt, withRedis, type SuiteContext } from './suite-context';
import { BENCH_CACHED_MODEL, errorHint } from './sync-suite';

/** Every limit set, far above what the run reaches: each request and job pays for every script, none is refused. */
export const LIMITS_ON_ENV = {
  RATE_LIMIT_REQUESTS_PER_MINUTE: '100000000',
  RATE_LIMIT_IMAGES_PER_MINUTE: '100000000',
  RATE_LIMIT_CONCURRENT_JOBS: '100000',
  QUOTA_DAILY_IMAGES: '1000000000',
} as const;
/** The goal's client count, and one client for the latency a request gains. */
const LEVELS = [1, 64] as const;

export type LimiterVariant = 'off' | 'on';

export interface LimitsRun {
  variant: LimiterVariant;
  round: number;
  run: HttpRunResult;
  /** CPU milliseconds per successful request of the variant's API, of Redis and of the worker, which other load on the machine moves less than throughput. */
  cpuMsPerRequest?: { api: number; redis: number; worker: number };
}

export interface LimitsResult {
  limits: Record<string, string>;
  rounds: number;
  runs: LimitsRun[];
  /** Per client count: median req/s and p50 of each variant, and the median of each round's paired cost (off vs on back to back). */
  summary: Array<{ concurrency: number; offRps: number; onRps: number; costPercent: number; offP50Ms: number; onP50Ms: number; cpuCostPercent?: number }>;
}

/**
 * The limiter's price on the sync hot path: two API processes on one Redis and one worker
 * (cached synthetic engine), one with no limits configured and one with all four, driven
 * in alternating order round after round so drift in Redis or the machine falls on both.
 * The worker is the same for both, so its release of each job's slot (one ZREM) is in
 * both figures; what differs is the API's two scripts per request.
 */
export async function runLimitsSuite(context: SuiteContext): Promise<LimitsResult> {
  const { sizes } = context.options;
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
    const urls: Record<LimiterVariant, string> = { off: baseUrl, on: onUrl };
    const sampler = new ProcessSampler({ off: processes.off.pid, on: processes.on.pid, worker: processes.worker.pid, redis: redis.pid ?? -1 });
    let load: RpcChild<LoadGeneratorMethods> | undefined;
    try {
      load = await RpcChild.fork<LoadGeneratorMethods>('load-generator', join(__dirname, '../load/load-generator.child.ts'), { cwd: context.repoRoot });
      const body: GenerationBody = { model: BENCH_CACHED_MODEL, prompt: 'a lighthouse on a cliff at dusk, oil painting', size: BENCH_SIZE, n: 1, response_format: 'b64_json' };
      const target = (variant: LimiterVariant) => ({ baseUrl: urls[variant], apiKey, body, timeoutMs: 30_000 });
      for (const variant of ['off', 'on'] as const) await load.call('ready', { ...target(variant), deadlineMs: 60_000 }, 70_000);
      await assertLimited(onUrl, baseUrl, apiKey);
      // Unmeasured: both processes (and the worker) JIT-compiled and their pools grown before the first round.
      for (const variant of ['off', 'on'] as const) {
        const loop = { concurrency: 64, warmupMs: 0, durationMs: Math.max(5_000, sizes.warmupMs + sizes.durationMs), maxRequests: sizes.maxRequests };
        await load.call('sync', { ...target(variant), loop }, runTimeout(loop.durationMs));
      }
      sampler.start();
      const runs: LimitsRun[] = [];
      for (let round = 1; round <= rounds; round += 1) {
        // Alternate which variant goes first, so neither always runs on a warmer (or fuller) Redis.
        const order: LimiterVariant[] = round % 2 === 1 ? ['off', 'on'] : ['on', 'off'];
        for (const concurrency of LEVELS) {
          for (const variant of order) {
            const loop = { concurrency, warmupMs: sizes.warmupMs, durationMs: sizes.durationMs, maxRequests: sizes.maxRequests };
            const result = await load.call('sync', { ...target(variant), loop }, runTimeout(sizes.warmupMs + sizes.durationMs));
            const label = `limits ${variant}`;
            const run: HttpRunResult = { label, ...result, api: sampler.usage(variant, result.measuredFrom, result.measuredTo), worker: sampler.usage('worker', result.measuredFrom, result.measuredTo) };
            context.log(`${label} x${concurrency} (round ${round}): ${result.requestsPerSecond.toFixed(0)} req/s, p50 ${result.latencyMs.p50.toFixed(2)} ms, ${result.errors} errors${errorHint(result.errorSamples)}`);
            runs.push({ variant, round, run, ...cpuPerRequest(sampler, variant, result) });
          }
        }
      }
      for (const process of Object.values(processes)) process.assertAlive();
      return { limits: { ...LIMITS_ON_ENV }, rounds, runs, summary: LEVELS.map((concurrency) => summarize(runs, concurrency)) };
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

function cpuPerRequest(sampler: ProcessSampler, variant: LimiterVariant, run: { requestsPerSecond: number; measuredFrom: number; measuredTo: number }): Pick<LimitsRun, 'cpuMsPerRequest'> {
  const perRequest = (name: string) => {
    const usage = sampler.usage(name, run.measuredFrom, run.measuredTo);
    return usage && run.requestsPerSecond > 0 ? (usage.cpuPercent * 10) / run.requestsPerSecond : undefined;
  };
  const [api, redis, worker] = [perRequest(variant), perRequest('redis'), perRequest('worker')];
  return api !== undefined && redis !== undefined && worker !== undefined ? { cpuMsPerRequest: { api, redis, worker } } : {};
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function summarize(runs: LimitsRun[], concurrency: number): LimitsResult['summary'][number] {
  const entries = (variant: LimiterVariant) => runs.filter((entry) => entry.variant === variant && entry.run.concurrency === concurrency);
  const [offEntries, onEntries] = [entries('off'), entries('on')];
  const [off, on] = [offEntries.map((entry) => entry.run), onEntries.map((entry) => entry.run)];
  // Runs back to back share the machine's state of the moment (Redis size, AOF rewrites): compare within a round.
  const paired = off.map((run, round) => (run.requestsPerSecond > 0 ? ((run.requestsPerSecond - (on[round]?.requestsPerSecond ?? 0)) / run.requestsPerSecond) * 100 : 0));
  return {
    concurrency,
    offRps: median(off.map((run) => run.requestsPerSecond)),
    onRps: median(on.map((run) => run.requestsPerSecond)),
    costPercent: median(paired),
    ...cpuCost(offEntries, onEntries),
    offP50Ms: median(off.map((run) => run.latencyMs.p50)),
    onP50Ms: median(on.map((run) => run.latencyMs.p50)),
  };
}

/** Extra CPU per request with the limits on (API, Redis and worker together), paired per round: the throughput a CPU-bound host loses. */
function cpuCost(off: LimitsRun[], on: LimitsRun[]): { cpuCostPercent?: number } {
  const total = (entry: LimitsRun | undefined) => (entry?.cpuMsPerRequest ? entry.cpuMsPerRequest.api + entry.cpuMsPerRequest.redis + entry.cpuMsPerRequest.worker : undefined);
  const paired = off.flatMap((entry, round) => {
    const [before, after] = [total(entry), total(on[round])];
    return before !== undefined && after !== undefined && before > 0 ? [((after - before) / before) * 100] : [];
  });
  return paired.length > 0 ? { cpuCostPercent: median(paired) } : {};
}
