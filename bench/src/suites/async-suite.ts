import type { AsyncResult, HttpRunResult } from '../bench-results';
import type { LatencySummary } from '../stats/latency-summary';
import { BASELINE_WORKER_CONCURRENCY, runTimeout } from './baseline-suite';
import { withStack, type StackSession } from './stack-session';
import type { SuiteContext } from './suite-context';
import { BENCH_MODEL, errorHint } from './sync-suite';

/** Polling cadence of the async clients; it bounds how soon a completion can be seen. */
const POLL_INTERVAL_MS = 20;
const BURST_CONCURRENCY = 64;
const POLL_LEVELS = [1, 64];

/** Async submissions polled to completion, then a burst of submissions drained by the workers. */
export async function runAsyncSuite(context: SuiteContext): Promise<AsyncResult> {
  const { sizes } = context.options;
  return withStack(context, { name: 'async', models: [{ id: BENCH_MODEL }], workerConcurrency: BASELINE_WORKER_CONCURRENCY }, async (session) => {
    const poll: HttpRunResult[] = [];
    const submitLatencyMs: LatencySummary[] = [];
    for (const concurrency of POLL_LEVELS) {
      const loop = { concurrency, warmupMs: sizes.warmupMs, durationMs: sizes.durationMs, maxRequests: sizes.maxRequests };
      const { run, submitLatencyMs: submit } = await session.load.call(
        'asyncPoll',
        { baseUrl: session.stack.baseUrl, apiKey: session.stack.apiKey, body: session.body(BENCH_MODEL, 'url'), timeoutMs: 30_000, loop, pollIntervalMs: POLL_INTERVAL_MS },
        runTimeout(sizes.warmupMs + sizes.durationMs),
      );
      context.log(`async poll x${concurrency}: ${run.requestsPerSecond.toFixed(0)} jobs/s, p50 ${run.latencyMs.p50.toFixed(2)} ms (202 p50 ${submit.p50.toFixed(2)} ms)${errorHint(run.errorSamples)}`);
      poll.push(session.withUsage(`async poll every ${POLL_INTERVAL_MS} ms`, run));
      submitLatencyMs.push(submit);
    }
    const burst = await runBurst(session, sizes.burstJobs);
    context.log(`async burst: ${burst.submissions.perSecond} submissions/s, ${burst.completions.perSecond} completions/s`);
    return { poll, submitLatencyMs, burst };
  });
}

async function runBurst(session: StackSession, count: number): Promise<AsyncResult['burst']> {
  const completedKey = await session.probe.findQueueKey('images', 'completed');
  const failedKey = await session.probe.findQueueKey('images', 'failed');
  if (!completedKey) throw new Error('cannot find the images queue completed set in Redis');
  const finished = async () => (await session.probe.zcard(completedKey)) + (await session.probe.zcard(failedKey));
  const failedBefore = await session.probe.zcard(failedKey);
  const before = await finished();
  const started = Date.now();
  let submittedCount: number | undefined;
  const submissions = session.load
    .call('burst', { baseUrl: session.stack.baseUrl, apiKey: session.stack.apiKey, body: session.body(BENCH_MODEL, 'url'), timeoutMs: 30_000, count, concurrency: BURST_CONCURRENCY, maxMs: 180_000 }, 200_000)
    .then((result) => {
      submittedCount = result.submitted;
      return result;
    });
  submissions.catch(() => undefined);
  let drainedAt: number | undefined;
  // Completions are read from Redis rather than by polling 10,000 jobs over HTTP, which would load the API being measured.
  while (Date.now() - started < 240_000) {
    const done = (await finished()) - before;
    if (submittedCount !== undefined && done >= submittedCount) {
      drainedAt = Date.now();
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const submitted = await submissions;
  if (drainedAt === undefined) throw new Error(`burst: ${(await finished()) - before} of ${submitted.submitted} jobs finished within 240 s`);
  const drainMs = drainedAt - started;
  return {
    submissions: { jobs: submitted.submitted, elapsedMs: submitted.elapsedMs, perSecond: Math.round((submitted.submitted / submitted.elapsedMs) * 1000) },
    completions: { jobs: submitted.submitted, elapsedMs: drainMs, perSecond: Math.round((submitted.submitted / drainMs) * 1000) },
    failed: (await session.probe.zcard(failedKey)) - failedBefore,
    submitErrors: submitted.errors,
  };
}
