import type { HttpRunResult } from '../bench-results';
import type { GenerationBody } from '../load/image-requests';
import type { LoadGeneratorMethods } from '../load/load-generator.child';
import type { ProcessSampler } from '../processes/process-stats';
import type { RpcChild } from '../processes/rpc-child';
import { runTimeout } from './baseline-suite';
import type { SuiteContext } from './suite-context';
import { errorHint } from './sync-suite';

export type Variant = 'off' | 'on';

export interface PairedRun {
  variant: Variant;
  round: number;
  run: HttpRunResult;
  /** CPU milliseconds per successful request of the variant's API, of Redis and of its worker, which other load on the machine moves less than throughput. */
  cpuMsPerRequest?: { api: number; redis: number; worker: number };
}

export interface PairedSummary {
  concurrency: number;
  offRps: number;
  onRps: number;
  /** Median of each round's back-to-back throughput cost, in percent. */
  costPercent: number;
  offP50Ms: number;
  onP50Ms: number;
  cpuCostPercent?: number;
}

export interface PairedRunOptions {
  context: SuiteContext;
  label: string;
  load: RpcChild<LoadGeneratorMethods>;
  urls: Record<Variant, string>;
  apiKey: string;
  body: GenerationBody;
  /** Sampler names of each variant's API and worker; `redis` is read too. */
  samplerNames: Record<Variant, { api: string; worker: string }>;
  sampler: ProcessSampler;
  rounds: number;
  levels: readonly number[];
  /** Runs once both variants serve: a check that each really is what it claims. */
  afterReady?: () => Promise<void>;
}

/**
 * Sync load on a feature's "off" and "on" deployments in alternating order round after round,
 * after an unmeasured warm-up of each, so drift in Redis or the machine falls on both; the cost
 * is the median of each round's back-to-back pair.
 */
export async function runPairedSync(options: PairedRunOptions): Promise<{ runs: PairedRun[]; summary: PairedSummary[] }> {
  const { context, load, urls, sampler, samplerNames } = options;
  const { sizes } = context.options;
  const target = (variant: Variant) => ({ baseUrl: urls[variant], apiKey: options.apiKey, body: options.body, timeoutMs: 30_000 });
  for (const variant of ['off', 'on'] as const) await load.call('ready', { ...target(variant), deadlineMs: 60_000 }, 70_000);
  await options.afterReady?.();
  for (const variant of ['off', 'on'] as const) {
    const loop = { concurrency: 64, warmupMs: 0, durationMs: Math.max(5_000, sizes.warmupMs + sizes.durationMs), maxRequests: sizes.maxRequests };
    await load.call('sync', { ...target(variant), loop }, runTimeout(loop.durationMs));
  }
  sampler.start();
  const runs: PairedRun[] = [];
  for (let round = 1; round <= options.rounds; round += 1) {
    const order: Variant[] = round % 2 === 1 ? ['off', 'on'] : ['on', 'off'];
    for (const concurrency of options.levels) {
      for (const variant of order) {
        const loop = { concurrency, warmupMs: sizes.warmupMs, durationMs: sizes.durationMs, maxRequests: sizes.maxRequests };
        const result = await load.call('sync', { ...target(variant), loop }, runTimeout(sizes.warmupMs + sizes.durationMs));
        const label = `${options.label} ${variant}`;
        const names = samplerNames[variant];
        const run: HttpRunResult = { label, ...result, api: sampler.usage(names.api, result.measuredFrom, result.measuredTo), worker: sampler.usage(names.worker, result.measuredFrom, result.measuredTo) };
        context.log(`${label} x${concurrency} (round ${round}): ${result.requestsPerSecond.toFixed(0)} req/s, p50 ${result.latencyMs.p50.toFixed(2)} ms, ${result.errors} errors${errorHint(result.errorSamples)}`);
        runs.push({ variant, round, run, ...cpuPerRequest(sampler, names, result) });
      }
    }
  }
  return { runs, summary: options.levels.map((concurrency) => summarize(runs, concurrency)) };
}

function cpuPerRequest(sampler: ProcessSampler, names: { api: string; worker: string }, run: { requestsPerSecond: number; measuredFrom: number; measuredTo: number }): Pick<PairedRun, 'cpuMsPerRequest'> {
  const perRequest = (name: string) => {
    const usage = sampler.usage(name, run.measuredFrom, run.measuredTo);
    return usage && run.requestsPerSecond > 0 ? (usage.cpuPercent * 10) / run.requestsPerSecond : undefined;
  };
  const [api, redis, worker] = [perRequest(names.api), perRequest('redis'), perRequest(names.worker)];
  return api !== undefined && redis !== undefined && worker !== undefined ? { cpuMsPerRequest: { api, redis, worker } } : {};
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function summarize(runs: PairedRun[], concurrency: number): PairedSummary {
  const entries = (variant: Variant) => runs.filter((entry) => entry.variant === variant && entry.run.concurrency === concurrency);
  const [offEntries, onEntries] = [entries('off'), entries('on')];
  const [off, on] = [offEntries.map((entry) => entry.run), onEntries.map((entry) => entry.run)];
  // Runs back to back share the machine's state of the moment (Redis size, AOF rewrites): compare within a round.
  const paired = off.map((run, round) => (run.requestsPerSecond > 0 ? ((run.requestsPerSecond - (on[round]?.requestsPerSecond ?? 0)) / run.requestsPerSecond) * 100 : 0));
  return {
    concurrency,
    offRps: median(off.map((run) => run.requestsPerSecond)),
    onRps: median(on.map((run) => run.requestsPerSecond)),
    costPercent: median(paired),
    ...cpuCost(offEntries, onEntries),
    offP50Ms: median(off.map((run) => run.latencyMs.p50)),
    onP50Ms: median(on.map((run) => run.latencyMs.p50)),
  };
}

/** Extra CPU per request with the feature on (API, Redis and worker together), paired per round: the throughput a CPU-bound host loses. */
function cpuCost(off: PairedRun[], on: PairedRun[]): { cpuCostPercent?: number } {
  const total = (entry: PairedRun | undefined) => (entry?.cpuMsPerRequest ? entry.cpuMsPerRequest.api + entry.cpuMsPerRequest.redis + entry.cpuMsPerRequest.worker : undefined);
  const paired = off.flatMap((entry, round) => {
    const [before, after] = [total(entry), total(on[round])];
    return before !== undefined && after !== undefined && before > 0 ? [((after - before) / before) * 100] : [];
  });
  return paired.length > 0 ? { cpuCostPercent: median(paired) } : {};
}
