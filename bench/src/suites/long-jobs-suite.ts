import type { LongJobsResult } from '../bench-results';
import { readApiHeap } from '../stack/api-heap';
import { shiftSummary } from '../stats/latency-summary';
import { runTimeout } from './baseline-suite';
import { withStack } from './stack-session';
import type { SuiteContext } from './suite-context';
import { errorHint } from './sync-suite';

const SLOW_MODEL = 'bench-slow';

/**
 * GPU-length jobs: every image takes `longDelayMs`, so anything above that is what the
 * API, queue and worker add while `longWaiters` sync requests are held open.
 */
export async function runLongJobsSuite(context: SuiteContext): Promise<LongJobsResult> {
  const { sizes } = context.options;
  // More worker slots than waiters, so no request queues behind another and all extra latency is overhead.
  const workerConcurrency = Math.max(256, sizes.longWaiters);
  return withStack(context, { name: 'long', models: [{ id: SLOW_MODEL, delayMsPerImage: sizes.longDelayMs }], workerConcurrency }, async (session) => {
    const loop = {
      concurrency: sizes.longWaiters,
      // One full wave unmeasured: the first requests also pay for JIT and connection set-up.
      warmupMs: sizes.longDelayMs + 500,
      durationMs: sizes.longDurationMs,
      maxRequests: sizes.maxRequests,
    };
    const run = await session.load.call(
      'sync',
      { baseUrl: session.stack.baseUrl, apiKey: session.stack.apiKey, body: session.body(SLOW_MODEL, 'url'), timeoutMs: sizes.longDelayMs + 30_000, loop },
      runTimeout(loop.warmupMs + loop.durationMs + sizes.longDelayMs),
    );
    const heap = await readApiHeap(session.stack);
    const withUsage = session.withUsage(`sync url, ${sizes.longDelayMs} ms per image`, run);
    if (withUsage.api && heap.heapUsedBytes !== undefined) withUsage.api.heapUsedBytes = heap.heapUsedBytes;
    const added = shiftSummary(run.latencyMs, sizes.longDelayMs);
    context.log(`long jobs x${sizes.longWaiters}: ${run.completed} jobs, added p50 ${added.p50.toFixed(1)} ms, p99 ${added.p99.toFixed(1)} ms${errorHint(run.errorSamples)}`);
    return { run: withUsage, delayMs: sizes.longDelayMs, addedLatencyMs: added, heapSource: heap.source };
  });
}
