import type { LongJobRun, LongJobsResult } from '../bench-results';
import { readApiHeap } from '../stack/api-heap';
import { shiftSummary } from '../stats/latency-summary';
import { runTimeout } from './baseline-suite';
import { withStack, type StackSession } from './stack-session';
import type { SuiteContext } from './suite-context';
import { CACHED_ENGINE, errorHint } from './sync-suite';

const SLOW_MODEL = 'bench-slow';
const SLOW_CACHED_MODEL = 'bench-slow-cached';

/**
 * GPU-length jobs: every image takes `longDelayMs`, so anything above that is what the
 * API, queue and worker add while `longWaiters` sync requests are held open. Measured
 * with the synthetic engine (which still paints and encodes on the worker's CPU) and
 * with its cached rendering, which only waits, as a worker driving a GPU would.
 */
export async function runLongJobsSuite(context: SuiteContext): Promise<LongJobsResult> {
  const { sizes } = context.options;
  // More worker slots than waiters, so no request queues behind another and all extra latency is overhead.
  const workerConcurrency = Math.max(256, sizes.longWaiters);
  const models = [
    { id: SLOW_MODEL, delayMsPerImage: sizes.longDelayMs },
    { id: SLOW_CACHED_MODEL, delayMsPerImage: sizes.longDelayMs, render: 'cached' as const },
  ];
  return withStack(context, { name: 'long', models, workerConcurrency }, async (session) => {
    const runs = [await measure(context, session, SLOW_MODEL, 'synthetic engine'), await measure(context, session, SLOW_CACHED_MODEL, CACHED_ENGINE)];
    const heap = await readApiHeap(session.stack);
    return { runs, delayMs: sizes.longDelayMs, heapSource: heap.source };
  });
}

async function measure(context: SuiteContext, session: StackSession, model: string, worker: string): Promise<LongJobRun> {
  const { sizes } = context.options;
  const loop = {
    concurrency: sizes.longWaiters,
    // Arrivals spread over one job length, as independent callers would arrive, instead of 200 at once.
    staggerMs: sizes.longDelayMs,
    // The stagger plus one full wave unmeasured: the first requests also pay for JIT and connection set-up.
    warmupMs: 2 * sizes.longDelayMs + 500,
    durationMs: sizes.longDurationMs,
    maxRequests: sizes.maxRequests,
  };
  const body = session.body(model, 'url');
  const run = await session.load.call(
    'sync',
    { baseUrl: session.stack.baseUrl, apiKey: session.stack.apiKey, body, timeoutMs: sizes.longDelayMs + 30_000, loop },
    runTimeout(loop.warmupMs + loop.durationMs + sizes.longDelayMs),
  );
  const heap = await readApiHeap(session.stack);
  const withUsage = session.withUsage(`sync url, ${worker}`, run);
  if (withUsage.api && heap.heapUsedBytes !== undefined) withUsage.api.heapUsedBytes = heap.heapUsedBytes;
  const added = shiftSummary(run.latencyMs, sizes.longDelayMs);
  context.log(`long jobs x${sizes.longWaiters}, ${worker}: ${run.completed} jobs, added p50 ${added.p50.toFixed(1)} ms, p99 ${added.p99.toFixed(1)} ms${errorHint(run.errorSamples)}`);
  return { run: withUsage, addedLatencyMs: added };
}
