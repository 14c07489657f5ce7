import type { HttpRunResult, SyncResult } from '../bench-results';
import { BASELINE_WORKER_CONCURRENCY, runTimeout } from './baseline-suite';
import { withStack } from './stack-session';
import type { SuiteContext } from './suite-context';

export const BENCH_MODEL = 'bench-64';
const FORMATS = ['b64_json', 'url'] as const;

/** Sync generations through the real API, queue and worker, at each client level and in both response formats. */
export async function runSyncSuite(context: SuiteContext): Promise<SyncResult> {
  const { sizes } = context.options;
  return withStack(context, { name: 'sync', models: [{ id: BENCH_MODEL }], workerConcurrency: BASELINE_WORKER_CONCURRENCY }, async (session) => {
    const runs: HttpRunResult[] = [];
    for (const format of FORMATS) {
      for (const concurrency of sizes.levels) {
        const loop = { concurrency, warmupMs: sizes.warmupMs, durationMs: sizes.durationMs, maxRequests: sizes.maxRequests };
        const run = await session.load.call(
          'sync',
          { baseUrl: session.stack.baseUrl, apiKey: session.stack.apiKey, body: session.body(BENCH_MODEL, format), timeoutMs: 30_000, loop },
          runTimeout(sizes.warmupMs + sizes.durationMs),
        );
        const result = session.withUsage(`sync ${format}`, run);
        context.log(`sync ${format} x${concurrency}: ${run.requestsPerSecond.toFixed(0)} req/s, p50 ${run.latencyMs.p50.toFixed(2)} ms, ${run.errors} errors${errorHint(run.errorSamples)}`);
        runs.push(result);
      }
    }
    return { runs };
  });
}

/** First error message of a run, so a broken run is visible in the log at once. */
export function errorHint(samples: string[]): string {
  return samples[0] ? ` (${samples[0].slice(0, 160)})` : '';
}
