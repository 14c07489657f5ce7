import { join } from 'node:path';
import type { BaselineWorkerMethods } from '../baseline/baseline-worker.child';
import { RpcChild } from '../processes/rpc-child';
import type { StackSession } from './stack-session';
import type { SuiteContext } from './suite-context';

/** Label of runs whose worker completes jobs without an engine: the API and queue's own cost. */
export const ENGINE_FREE = 'engine-free worker';

/**
 * Swaps the service's worker for one that completes each job with a result the real
 * worker produced (same stored image), after `delayMs` of idle waiting as a GPU would
 * leave the CPU idle. Returns the replacement, which the caller stops.
 */
export async function swapInReplayWorker(
  context: SuiteContext,
  session: StackSession,
  options: { concurrency: number; delayMs: number },
): Promise<RpcChild<BaselineWorkerMethods>> {
  const captured = await capturedResult(session);
  await session.stack.worker.stop();
  const replay = await RpcChild.fork<BaselineWorkerMethods>('replay-worker', join(__dirname, '../baseline/baseline-worker.child.ts'), { cwd: context.repoRoot });
  try {
    await replay.call('replay', { redisUrl: session.redis.url, queueName: 'images', ...options, ...captured }, 30_000);
  } catch (error) {
    await replay.stop();
    throw error;
  }
  session.sampler.track('worker', replay.pid);
  return replay;
}

/** The result of a job the real worker finished, and the key prefix its queue lives under. */
async function capturedResult(session: StackSession): Promise<{ prefix: string; result: Record<string, unknown> }> {
  const prefix = await session.probe.queuePrefix('images');
  const completed = await session.probe.findQueueKey('images', 'completed');
  const [jobId] = completed ? await session.probe.newestMembers(completed, 1) : [];
  const hash = prefix && jobId ? await session.probe.jobHash('images', jobId) : undefined;
  if (!prefix || !hash?.returnvalue) throw new Error('found no completed job to replay');
  return { prefix, result: JSON.parse(hash.returnvalue) as Record<string, unknown> };
}
