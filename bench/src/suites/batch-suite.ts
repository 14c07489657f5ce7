import { join } from 'node:path';
import type { BaselineCallerMethods } from '../baseline/baseline-caller.child';
import type { BaselineWorkerMethods } from '../baseline/baseline-worker.child';
import type { BatchDrainResult, BatchResult } from '../batch/batch-result';
import { runLanes } from '../batch/lanes-run';
import { runLargeBatch } from '../batch/large-batch-run';
import { RpcChild } from '../processes/rpc-child';
import { batchTables } from '../report/batch-tables';
import { commandDelta, type RedisProbe } from '../stack/redis-probe';
import { BASELINE_WORKER_CONCURRENCY } from './baseline-suite';
import { withRedis, type SuiteContext } from './suite-context';

export type { BatchResult } from '../batch/batch-result';

/**
 * The Batch API at its line cap: upload, validation, expansion and the Redis cost of an
 * expanded batch, its drain next to raw BullMQ draining as many jobs, then sync latency
 * with a batch on the same worker and a second owner's small batch behind a large one.
 * Each part gets its own Redis.
 */
export async function runBatchSuite(context: SuiteContext): Promise<BatchResult> {
  const { batchLines, batchLaneLines, batchSmallLines } = context.options.sizes;
  const baseline = await withRedis(context, 'batch-baseline', (redis, probe) => rawDrain(context, redis.url, probe, batchLines));
  context.log(`batch: raw BullMQ drains ${baseline.jobs} no-op jobs at ${baseline.perSecond} jobs/s`);
  const large = await withRedis(context, 'batch', (redis, probe) => runLargeBatch(context, { url: redis.url, pid: redis.pid, probe }, batchLines, BASELINE_WORKER_CONCURRENCY));
  const { lanes, fairness } = await withRedis(context, 'batch-lanes', (redis) => runLanes(context, redis.url, batchLaneLines, batchSmallLines));
  const result: BatchResult = { ...large, drain: { ...large.drain, baseline }, lanes, fairness };
  console.log(`\n${batchTables(result)}\n`);
  return result;
}

/** The baseline suite's caller and no-op worker: `count` jobs by addBulk, then one worker drains them at the same concurrency. */
async function rawDrain(context: SuiteContext, redisUrl: string, probe: RedisProbe, count: number): Promise<BatchDrainResult['baseline']> {
  const caller = await RpcChild.fork<BaselineCallerMethods>('baseline-caller', join(__dirname, '../baseline/baseline-caller.child.ts'), { cwd: context.repoRoot });
  const worker = await RpcChild.fork<BaselineWorkerMethods>('baseline-worker', join(__dirname, '../baseline/baseline-worker.child.ts'), { cwd: context.repoRoot });
  try {
    await caller.call('addBacklog', { redisUrl, queueName: 'batch-baseline', count, chunk: 1_000 }, 300_000);
    const before = await probe.commandCalls();
    const drain = await worker.call('drain', { redisUrl, queueName: 'batch-baseline', concurrency: BASELINE_WORKER_CONCURRENCY, count, timeoutMs: 300_000 }, 310_000);
    const calls = commandDelta(before, await probe.commandCalls());
    return { ...drain, perSecond: Math.round((drain.jobs / drain.elapsedMs) * 1000), redisCommandsPerJob: calls.map(([name, n]) => [name, n / count]) };
  } finally {
    await Promise.all([caller.stop(), worker.stop()]);
  }
}
