import { Queue } from 'bullmq';
import { createS3Bucket, s3rverStorageEnv, startS3Server } from '@imageforge/testing';
import { parseWorkerConfig } from '@imageforge/worker/src/worker-config';
import { startWorker } from '@imageforge/worker/src/worker-runtime';
import { prepareServiceEnv } from '../stack/app-stack';
import { waitForApiReady } from '../stack/api-ready';
import { ServiceProcess } from '../stack/service-process';
import { stopOnInterrupt, withRedis, type SuiteContext } from './suite-context';

const MODEL = 'bench-device';
/** The device's share of a job: long enough to dominate, short enough that encode and upload matter. */
const ENGINE_DELAY_MS = 40;
const SIZE = '512x512';
/** Worker slots per run: 1 is the serial worker, the others pipeline on one device. */
const SLOTS = [1, 2, 3] as const;

export interface PipelineRun {
  slots: number;
  round: number;
  jobs: number;
  wallMs: number;
  imagesPerSecond: number;
  /** Share of the wall time the device lock was held: the engine's utilisation. */
  deviceBusyShare: number;
}

export interface PipelineResult {
  engineDelayMs: number;
  size: string;
  storage: string;
  runs: PipelineRun[];
  /** Median per slot count. */
  summary: Array<{ slots: number; imagesPerSecond: number; deviceBusyShare: number; speedup: number }>;
}

/**
 * Pipelined against serial workers: a full queue of generations on an exclusive synthetic
 * engine (painting plus a fixed delay under the device lock), PNG encoding and upload to S3
 * (s3rver, over the real protocol) outside it. Each run queues every job first, then starts a
 * worker with 1, 2 or 3 slots in this process and times it from its first job to its last,
 * reading how long its device lock was held.
 */
export async function runPipelineSuite(context: SuiteContext): Promise<PipelineResult> {
  const jobs = context.options.quick ? 30 : 150;
  const rounds = context.options.quick ? 1 : 2;
  const s3 = await startS3Server();
  const unregisterS3 = stopOnInterrupt(() => s3.close());
  try {
    const bucket = 'bench-gpu';
    await createS3Bucket(s3.endpoint, bucket);
    const storageEnv = s3rverStorageEnv(s3.endpoint, bucket);
    return await withRedis(context, 'pipeline', async (redis) => {
      const model = { id: MODEL, profile: 'dall-e-2', queue: 'images', engine: { kind: 'synthetic', exclusive: true, delayMsPerImage: ENGINE_DELAY_MS } };
      const { env, baseUrl, apiKey } = await prepareServiceEnv({ name: 'pipeline', workDir: context.workDir, redisUrl: redis.url, models: [model], workerConcurrency: 1 });
      const serviceEnv = { ...env, ...storageEnv };
      const api = ServiceProcess.start({ name: 'api', entry: 'apps/api/src/main.ts', cwd: context.repoRoot, env: serviceEnv });
      const unregister = stopOnInterrupt(() => api.stop());
      // Async jobs go to the async lane's own queue, `<prefix>:{images-async}`.
      const lane = new Queue('images-async', { connection: { url: redis.url }, prefix: 'bull:{images-async}' });
      try {
        await waitForApiReady(baseUrl);
        const runs: PipelineRun[] = [];
        for (let round = 1; round <= rounds; round += 1) {
          for (const slots of SLOTS) {
            await queueJobs(baseUrl, apiKey, jobs);
            const run = await drainWith(serviceEnv, slots, jobs, lane);
            runs.push({ ...run, round });
            context.log(`gpu pipeline ${slots} slot(s), round ${round}: ${run.imagesPerSecond.toFixed(1)} images/s, device busy ${(run.deviceBusyShare * 100).toFixed(1)}%`);
          }
        }
        api.assertAlive();
        const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
        const at = (slots: number) => runs.filter((run) => run.slots === slots);
        const serial = median(at(1).map((run) => run.imagesPerSecond));
        const summary = SLOTS.map((slots) => {
          const imagesPerSecond = median(at(slots).map((run) => run.imagesPerSecond));
          return { slots, imagesPerSecond, deviceBusyShare: median(at(slots).map((run) => run.deviceBusyShare)), speedup: imagesPerSecond / serial };
        });
        return { engineDelayMs: ENGINE_DELAY_MS, size: SIZE, storage: 's3rver (S3 protocol on loopback)', runs, summary };
      } finally {
        await lane.close();
        await api.stop();
        unregister();
      }
    });
  } finally {
    await s3.close();
    unregisterS3();
  }
}


/** Queues `count` async generations, 16 requests in flight, with no worker running yet. */
async function queueJobs(baseUrl: string, apiKey: string, count: number): Promise<void> {
  let next = 0;
  const body = JSON.stringify({ model: MODEL, prompt: 'a harbour at dawn, oil painting', size: SIZE, response_format: 'b64_json' });
  const client = async () => {
    while (next < count) {
      next += 1;
      const response = await fetch(`${baseUrl}/v1/images/generations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', prefer: 'respond-async' },
        body,
      });
      if (response.status !== 202) throw new Error(`queueing answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
      await response.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: 16 }, client));
}

/** Starts a worker with `slots`, waits until the lane has no job left, and times it from its first job. */
/**
 * Starts a worker with `slots`, waits until this run's jobs are done, and times the run from its
 * first job's start to its last job's end, as BullMQ recorded them (worker start-up excluded).
 */
async function drainWith(env: Record<string, string>, slots: number, jobs: number, lane: Queue): Promise<Omit<PipelineRun, 'round'>> {
  await lane.clean(0, 100_000, 'completed');
  const worker = await startWorker(parseWorkerConfig({ ...env, WORKER_CONCURRENCY: String(slots), LOG_LEVEL: 'warn', RETENTION_SWEEP_INTERVAL_MS: '0' }));
  try {
    const lock = worker.engines.deviceLocks().get('cpu');
    if (!lock) throw new Error('the bench engine did not run behind a device lock');
    for (;;) {
      const counts = await lane.getJobCounts('completed', 'failed');
      if ((counts.failed ?? 0) > 0) throw new Error(`${counts.failed} jobs failed`);
      if ((counts.completed ?? 0) >= jobs) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const done = await lane.getJobs(['completed'], 0, jobs);
    const wallMs = Math.max(...done.map((job) => job.finishedOn ?? 0)) - Math.min(...done.map((job) => job.processedOn ?? Number.MAX_SAFE_INTEGER));
    return { slots, jobs, wallMs, imagesPerSecond: (jobs * 1000) / wallMs, deviceBusyShare: Math.min(1, lock.busyTimeMs / wallMs) };
  } finally {
    await worker.close();
  }
}
