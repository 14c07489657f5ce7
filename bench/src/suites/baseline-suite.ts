import { join } from 'node:path';
import type { BaselineCallerMethods } from '../baseline/baseline-caller.child';
import type { BaselineWorkerMethods } from '../baseline/baseline-worker.child';
import type { BaselineResult } from '../bench-results';
import type { ClosedLoopResult } from '../load/closed-loop';
import { RpcChild } from '../processes/rpc-child';
import { withRedis, type SuiteContext } from './suite-context';

/** Worker concurrency of the baseline and of the service's worker in the sync and async suites. */
export const BASELINE_WORKER_CONCURRENCY = 50;

/**
 * Raw BullMQ with no HTTP: a caller process (Queue + one shared QueueEvents) and a
 * no-op worker process, the same split as the service's API and worker processes.
 */
export async function runBaselineSuite(context: SuiteContext): Promise<BaselineResult> {
  const { sizes } = context.options;
  return withRedis(context, 'baseline', async (redis) => {
    const caller = await RpcChild.fork<BaselineCallerMethods>('baseline-caller', join(__dirname, '../baseline/baseline-caller.child.ts'), { cwd: context.repoRoot });
    const worker = await RpcChild.fork<BaselineWorkerMethods>('baseline-worker', join(__dirname, '../baseline/baseline-worker.child.ts'), { cwd: context.repoRoot });
    try {
      const addAndWait: ClosedLoopResult[] = [];
      await worker.call('serve', { redisUrl: redis.url, queueName: 'baseline', concurrency: BASELINE_WORKER_CONCURRENCY }, 30_000);
      for (const concurrency of sizes.levels) {
        const loop = { concurrency, warmupMs: sizes.warmupMs, durationMs: sizes.durationMs, maxRequests: sizes.maxRequests };
        const result = await caller.call('addAndWait', { redisUrl: redis.url, queueName: 'baseline', loop, jobTimeoutMs: 30_000 }, runTimeout(sizes.warmupMs + sizes.durationMs));
        context.log(`baseline add+wait x${concurrency}: ${result.requestsPerSecond.toFixed(0)} req/s, p50 ${result.latencyMs.p50.toFixed(2)} ms`);
        addAndWait.push(result);
      }
      await worker.call('stop', undefined, 30_000);

      const backlog = await caller.call('addBacklog', { redisUrl: redis.url, queueName: 'backlog', count: sizes.backlogJobs, chunk: 1_000 }, 120_000);
      const drain = await worker.call(
        'drain',
        { redisUrl: redis.url, queueName: 'backlog', concurrency: BASELINE_WORKER_CONCURRENCY, count: sizes.backlogJobs, timeoutMs: 120_000 },
        130_000,
      );
      context.log(`baseline backlog: addBulk ${rate(backlog)} jobs/s, drain ${rate(drain)} jobs/s`);
      return {
        addAndWait,
        backlogAdd: { ...backlog, perSecond: rate(backlog) },
        backlogDrain: { ...drain, perSecond: rate(drain) },
      };
    } finally {
      await Promise.all([caller.stop(), worker.stop()]);
    }
  });
}

function rate(result: { jobs: number; elapsedMs: number }): number {
  return Math.round((result.jobs / result.elapsedMs) * 1000);
}

/** Deadline for one closed-loop call: its own length plus room for slow requests to finish. */
export function runTimeout(loopMs: number): number {
  return loopMs + 60_000;
}
