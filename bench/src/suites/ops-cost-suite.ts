import { join } from 'node:path';
import { findFreePort } from '@imageforge/embedded-redis';
import type { GenerationBody } from '../load/image-requests';
import type { LoadGeneratorMethods } from '../load/load-generator.child';
import { ProcessSampler } from '../processes/process-stats';
import { RpcChild } from '../processes/rpc-child';
import { BENCH_PROFILE, BENCH_SIZE, prepareServiceEnv } from '../stack/app-stack';
import { ServiceProcess } from '../stack/service-process';
import { BASELINE_WORKER_CONCURRENCY } from './baseline-suite';
import { runPairedSync, type PairedRun, type PairedSummary } from './paired-sync-runs';
import { stopOnInterrupt, withRedis, type SuiteContext } from './suite-context';
import { BENCH_CACHED_MODEL } from './sync-suite';

const LEVELS = [1, 64] as const;

export interface OpsCostResult {
  rounds: number;
  runs: PairedRun[];
  summary: PairedSummary[];
}

/**
 * What the dashboard's bookkeeping (history buckets written per job by the API and the worker)
 * costs the sync hot path: two deployments on one Redis, each its own API and worker under its
 * own QUEUE_PREFIX, one with OPS_HISTORY=false, driven in alternating order round after round.
 */
export async function runOpsCostSuite(context: SuiteContext): Promise<OpsCostResult> {
  const rounds = context.options.quick ? 2 : 6;
  return withRedis(context, 'ops', async (redis) => {
    const model = { id: BENCH_CACHED_MODEL, profile: BENCH_PROFILE, queue: 'images', engine: { kind: 'synthetic', render: 'cached' } };
    const { env, baseUrl, apiKey } = await prepareServiceEnv({ name: 'ops', workDir: context.workDir, redisUrl: redis.url, models: [model], workerConcurrency: BASELINE_WORKER_CONCURRENCY });
    const offPort = await findFreePort('127.0.0.1');
    const offUrl = `http://127.0.0.1:${offPort}`;
    const offEnv = { ...env, QUEUE_PREFIX: 'bench-ops-off', OPS_HISTORY: 'false', PORT: String(offPort), PUBLIC_BASE_URL: offUrl };
    const onEnv = { ...env, QUEUE_PREFIX: 'bench-ops-on', OPS_HISTORY: 'true' };
    const processes = {
      offApi: ServiceProcess.start({ name: 'api (ops off)', entry: 'apps/api/src/main.ts', cwd: context.repoRoot, env: offEnv }),
      offWorker: ServiceProcess.start({ name: 'worker (ops off)', entry: 'apps/worker/src/main.ts', cwd: context.repoRoot, env: offEnv }),
      onApi: ServiceProcess.start({ name: 'api (ops on)', entry: 'apps/api/src/main.ts', cwd: context.repoRoot, env: onEnv }),
      onWorker: ServiceProcess.start({ name: 'worker (ops on)', entry: 'apps/worker/src/main.ts', cwd: context.repoRoot, env: onEnv }),
    };
    const stopAll = () => Promise.all(Object.values(processes).map((process) => process.stop())).then(() => undefined);
    const unregister = stopOnInterrupt(stopAll);
    const pids = Object.fromEntries(Object.entries(processes).map(([name, process]) => [name, process.pid]));
    const sampler = new ProcessSampler({ ...pids, redis: redis.pid ?? -1 });
    let load: RpcChild<LoadGeneratorMethods> | undefined;
    try {
      load = await RpcChild.fork<LoadGeneratorMethods>('load-generator', join(__dirname, '../load/load-generator.child.ts'), { cwd: context.repoRoot });
      const body: GenerationBody = { model: BENCH_CACHED_MODEL, prompt: 'a lighthouse on a cliff at dusk, oil painting', size: BENCH_SIZE, n: 1, response_format: 'b64_json' };
      const { runs, summary } = await runPairedSync({
        context,
        label: 'ops history',
        load,
        urls: { off: offUrl, on: baseUrl },
        apiKey,
        body,
        samplerNames: { off: { api: 'offApi', worker: 'offWorker' }, on: { api: 'onApi', worker: 'onWorker' } },
        sampler,
        rounds,
        levels: LEVELS,
      });
      for (const process of Object.values(processes)) process.assertAlive();
      return { rounds, runs, summary };
    } finally {
      sampler.stop();
      await load?.stop();
      await stopAll();
      unregister();
    }
  });
}
