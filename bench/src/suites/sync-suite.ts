import type { HttpRunResult, SyncResult } from '../bench-results';
import { BASELINE_WORKER_CONCURRENCY, runTimeout } from './baseline-suite';
import { breakDownStages, type StageBreakdown } from './stage-breakdown';
import { withStack, type StackSession } from './stack-session';
import type { SuiteContext } from './suite-context';

export const BENCH_MODEL = 'bench-fast';
/** The same model on the synthetic engine's cached rendering: the API, queue, worker and storage without the painter. */
export const BENCH_CACHED_MODEL = 'bench-cached';
/** Label of the rows whose engine costs (almost) nothing: the goal rows. */
export const CACHED_ENGINE = 'cached synthetic engine';
const FORMATS = ['b64_json', 'url'] as const;
type Format = (typeof FORMATS)[number];


/**
 * Sync generations through the real API, queue and worker at each client level, in
 * both response formats: with the synthetic engine painting every image, then with
 * its cached rendering, which stores one prepared file per image and isolates what
 * the service itself costs.
 */
export async function runSyncSuite(context: SuiteContext): Promise<SyncResult> {
  const { sizes } = context.options;
  const models = [{ id: BENCH_MODEL }, { id: BENCH_CACHED_MODEL, render: 'cached' as const }];
  return withStack(context, { name: 'sync', models, workerConcurrency: BASELINE_WORKER_CONCURRENCY }, async (session) => {
    const runs: HttpRunResult[] = [];
    const breakdown: StageBreakdown[] = [];
    for (const format of FORMATS) {
      const stamps = await session.load.call(
        'syncStamped',
        { ...target(session, format), count: sizes.breakdownRequests, maxMs: 30_000 },
        60_000,
      );
      breakdown.push(await breakDownStages(session.probe, `sync ${format}, 1 client, synthetic engine`, stamps));
    }
    for (const format of FORMATS) runs.push(...(await runLevels(context, session, BENCH_MODEL, format, 'synthetic engine')));
    for (const format of FORMATS) runs.push(...(await runLevels(context, session, BENCH_CACHED_MODEL, format, CACHED_ENGINE)));
    return { runs, breakdown };
  });
}

function target(session: StackSession, format: Format, model = BENCH_MODEL) {
  return { baseUrl: session.stack.baseUrl, apiKey: session.stack.apiKey, body: session.body(model, format), timeoutMs: 30_000 };
}

async function runLevels(context: SuiteContext, session: StackSession, model: string, format: Format, worker: string): Promise<HttpRunResult[]> {
  const { sizes } = context.options;
  const runs: HttpRunResult[] = [];
  for (const concurrency of sizes.levels) {
    const loop = { concurrency, warmupMs: sizes.warmupMs, durationMs: sizes.durationMs, maxRequests: sizes.maxRequests };
    const run = await session.load.call('sync', { ...target(session, format, model), loop }, runTimeout(sizes.warmupMs + sizes.durationMs));
    const label = `sync ${format}, ${worker}`;
    context.log(`${label} x${concurrency}: ${run.requestsPerSecond.toFixed(0)} req/s, p50 ${run.latencyMs.p50.toFixed(2)} ms, ${run.errors} errors${errorHint(run.errorSamples)}`);
    runs.push(session.withUsage(label, run));
  }
  return runs;
}

/** First error message of a run, so a broken run is visible in the log at once. */
export function errorHint(samples: string[]): string {
  return samples[0] ? ` (${samples[0].slice(0, 160)})` : '';
}
