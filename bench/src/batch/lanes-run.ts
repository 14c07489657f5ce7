import { join } from 'node:path';
import type { HttpRunResult } from '../bench-results';
import type { GenerationBody } from '../load/image-requests';
import type { LoadGeneratorMethods } from '../load/load-generator.child';
import { ProcessSampler } from '../processes/process-stats';
import { RpcChild } from '../processes/rpc-child';
import { runTimeout } from '../suites/baseline-suite';
import { stopOnInterrupt, type SuiteContext } from '../suites/suite-context';
import { errorHint } from '../suites/sync-suite';
import { BatchClient, generationsJsonl } from './batch-client';
import type { BatchFairnessResult, BatchLanesResult } from './batch-result';
import { BatchStack } from './batch-stack';
import { BatchWatch, countLinesOf, lineJobIds } from './batch-watch';
import { LINE_MODEL } from './large-batch-run';

/** Slots of the worker: a small GPU host, so a batch keeps every slot busy. */
export const LANE_WORKER_CONCURRENCY = 8;
/** The engine waits this long per image, so one job's run time is a known figure. */
export const LANE_JOB_MS = 50;
const SYNC_CLIENTS = 4;

export interface LanesRun {
  lanes: BatchLanesResult;
  fairness: BatchFairnessResult;
}

/**
 * Sync calls at a few clients, alone and then with owner A's batch draining on the same
 * worker; then, with A's batch still draining, owner B's small batch and how many of
 * A's lines ran before it was done.
 */
export async function runLanes(context: SuiteContext, redisUrl: string, largeLines: number, smallLines: number): Promise<LanesRun> {
  const { sizes } = context.options;
  const models = [{ id: LINE_MODEL, profile: 'dall-e-2', queue: 'images', engine: { kind: 'synthetic', render: 'cached', delayMsPerImage: LANE_JOB_MS } }];
  const stack = await BatchStack.start({ name: 'batch-lanes', repoRoot: context.repoRoot, workDir: context.workDir, redisUrl, models, workerConcurrency: LANE_WORKER_CONCURRENCY, profileDir: context.options.cpuProfile ? context.profileDir : undefined });
  const unregister = stopOnInterrupt(() => stack.stop());
  const watch = await BatchWatch.connect(redisUrl);
  let load: RpcChild<LoadGeneratorMethods> | undefined;
  const sampler = new ProcessSampler({ api: stack.api.pid });
  try {
    sampler.track('worker', stack.startWorker('lanes').pid);
    const check = () => stack.assertAlive();
    load = await RpcChild.fork<LoadGeneratorMethods>('load-generator', join(__dirname, '../load/load-generator.child.ts'), { cwd: context.repoRoot });
    const body: GenerationBody = { model: LINE_MODEL, prompt: 'a lighthouse on a cliff at dusk, oil painting', size: '256x256', n: 1, response_format: 'url' };
    const target = { baseUrl: stack.baseUrl, apiKey: stack.apiKeys[0], body, timeoutMs: 30_000 };
    await load.call('ready', { ...target, deadlineMs: 90_000 }, 100_000);
    sampler.start();
    const [ownerA, ownerB] = stack.apiKeys.map((key) => new BatchClient(stack.baseUrl, key)) as [BatchClient, BatchClient];
    // One small batch per owner first, so neither measured batch pays for the first run of its code paths.
    for (const [owner, tag] of [[ownerA, 'warm-a'], [ownerB, 'warm-b']] as const) {
      const warm = await owner.create(await owner.upload(generationsJsonl(2, LINE_MODEL, tag), `${tag}.jsonl`));
      await watch.until(warm, (record) => record.status === 'completed', { what: 'completed (warm-up)', timeoutMs: 60_000, check });
    }

    // At most half of the fastest the batch could drain, so it is still draining through both runs and the fairness run after.
    const fastestDrainMs = (largeLines / LANE_WORKER_CONCURRENCY) * LANE_JOB_MS;
    const durationMs = Math.max(1_000, Math.min(sizes.batchSyncMs, fastestDrainMs / 2 - sizes.warmupMs));
    const loop = { concurrency: SYNC_CLIENTS, warmupMs: sizes.warmupMs, durationMs, maxRequests: sizes.maxRequests };
    const sync = async (label: string): Promise<HttpRunResult> => {
      const run = await load!.call('sync', { ...target, loop }, runTimeout(loop.warmupMs + loop.durationMs));
      context.log(`batch lanes, ${label}: p50 ${run.latencyMs.p50.toFixed(1)} ms, p99 ${run.latencyMs.p99.toFixed(1)} ms, ${run.completed} requests, ${run.errors} errors${errorHint(run.errorSamples)}`);
      return { label, ...run, api: sampler.usage('api', run.measuredFrom, run.measuredTo), worker: sampler.usage('worker', run.measuredFrom, run.measuredTo) };
    };
    const without = await sync(`${SYNC_CLIENTS} sync clients, no batch`);

    const large = await ownerA.create(await ownerA.upload(generationsJsonl(largeLines, LINE_MODEL, 'a'), 'owner-a.jsonl'));
    // Draining for real: a few waves of lines done, so every slot has a line to take.
    await watch.until(large, (record) => record.completed >= 2 * LANE_WORKER_CONCURRENCY, { what: 'draining', timeoutMs: 120_000, check });
    const withBatch = await sync(`${SYNC_CLIENTS} sync clients, ${largeLines}-line batch draining`);
    const after = await watch.store.get(large);
    const during = await watch.completedBetween(withBatch.measuredFrom, withBatch.measuredTo);
    const lanes: BatchLanesResult = {
      workerConcurrency: LANE_WORKER_CONCURRENCY,
      jobMs: LANE_JOB_MS,
      batchLines: largeLines,
      without,
      with: withBatch,
      batchLinesDuringRun: countLinesOf(during, large),
      drainingThroughout: after?.status === 'in_progress' && after.completed + after.failed < after.total,
    };

    const smallFile = await ownerB.upload(generationsJsonl(smallLines, LINE_MODEL, 'b'), 'owner-b.jsonl');
    const createdAt = Date.now();
    const small = await ownerB.create(smallFile);
    const validated = await watch.until(small, (record) => record.status !== 'validating', { what: 'validated', timeoutMs: 120_000, check });
    const done = await watch.until(small, (record) => record.status === 'completed', { what: 'completed', timeoutMs: 120_000, check });
    const ids = lineJobIds(small, smallLines);
    const finishedOn = await watch.completedAt(ids);
    const addedAt = await watch.addedAt(ids);
    if (finishedOn.some((at) => at === null) || addedAt.some((at) => at === null)) throw new Error(`batch ${small}: a line job is missing from the completed set`);
    const lastLine = Math.max(...(finishedOn as number[]));
    const firstQueued = Math.min(...(addedAt as number[]));
    const largeSince = async (from: number) => countLinesOf(await watch.completedBetween(from, lastLine), large);
    const fairness: BatchFairnessResult = {
      workerConcurrency: LANE_WORKER_CONCURRENCY,
      jobMs: LANE_JOB_MS,
      largeLines,
      smallLines,
      largeCompletedSinceCreate: await largeSince(createdAt),
      largeCompletedSinceQueued: await largeSince(firstQueued),
      createToInProgressMs: validated.at - createdAt,
      createToQueuedMs: firstQueued - createdAt,
      createToLastLineMs: lastLine - createdAt,
      turnaroundMs: done.at - createdAt,
    };
    const stillDraining = (await watch.store.get(large))?.status === 'in_progress';
    if (!stillDraining) throw new Error(`owner A's batch ${large} was no longer draining when owner B's batch finished; the fairness figure would mean nothing`);
    context.log(
      `batch fairness: ${fairness.largeCompletedSinceCreate} of A's lines ran between B's create and B's last line (${fairness.largeCompletedSinceQueued} after B's lines were queued); B done in ${(fairness.turnaroundMs / 1000).toFixed(2)} s`,
    );
    return { lanes, fairness };
  } finally {
    sampler.stop();
    await load?.stop();
    watch.close();
    await stack.stop();
    unregister();
  }
}
