import { summarizeLatencies, type LatencySummary } from '../stats/latency-summary';

/** How a closed-loop run is bounded; every run stops on whichever limit comes first. */
export interface ClosedLoopOptions {
  /** Callers, each sending its next request as soon as the previous one finishes. */
  concurrency: number;
  /** Requests in this first stretch warm caches and JIT and are not measured. */
  warmupMs: number;
  /** Length of the measured stretch after the warm-up. */
  durationMs: number;
  /** Upper bound on requests started, warm-up included. */
  maxRequests: number;
  /**
   * Spreads the callers' first requests evenly over this many ms, so long requests do
   * not stay in lock-step waves that all finish at once. Default 0.
   */
  staggerMs?: number;
}

/** What one closed-loop run observed in its measured stretch. */
export interface ClosedLoopResult {
  concurrency: number;
  /** Requests that completed successfully and started after the warm-up. */
  completed: number;
  errors: number;
  /** Up to five distinct error messages, to tell a broken run from a slow one. */
  errorSamples: string[];
  /** Successful completions per second over the measured stretch. */
  requestsPerSecond: number;
  latencyMs: LatencySummary;
  /** Epoch milliseconds of the measured stretch, for matching process samples. */
  measuredFrom: number;
  measuredTo: number;
}

/**
 * Runs `request` from `concurrency` callers in a closed loop. A request counts when it
 * started after the warm-up; throughput divides successes by the time from the end of
 * the warm-up until the last measured request finished.
 */
export async function runClosedLoop(options: ClosedLoopOptions, request: (caller: number) => Promise<void>): Promise<ClosedLoopResult> {
  const start = performance.now();
  const measureFrom = start + options.warmupMs;
  const stopAt = measureFrom + options.durationMs;
  const latencies: number[] = [];
  const errorSamples = new Set<string>();
  let started = 0;
  let errors = 0;
  let lastFinish = measureFrom;

  const caller = async (index: number) => {
    const offset = ((options.staggerMs ?? 0) * index) / options.concurrency;
    if (offset > 0) await new Promise((resolve) => setTimeout(resolve, offset));
    while (started < options.maxRequests) {
      const sentAt = performance.now();
      if (sentAt >= stopAt) return;
      started++;
      try {
        await request(index);
        const finishedAt = performance.now();
        if (sentAt >= measureFrom) {
          latencies.push(finishedAt - sentAt);
          lastFinish = Math.max(lastFinish, finishedAt);
        }
      } catch (error) {
        if (sentAt >= measureFrom) {
          errors++;
          lastFinish = Math.max(lastFinish, performance.now());
        }
        if (errorSamples.size < 5) errorSamples.add(error instanceof Error ? error.message : String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, index) => caller(index)));

  const measuredMs = Math.max(1, lastFinish - measureFrom);
  const epochOffset = Date.now() - performance.now();
  return {
    concurrency: options.concurrency,
    completed: latencies.length,
    errors,
    errorSamples: [...errorSamples],
    requestsPerSecond: (latencies.length / measuredMs) * 1000,
    latencyMs: summarizeLatencies(latencies),
    measuredFrom: Math.round(measureFrom + epochOffset),
    measuredTo: Math.round(lastFinish + epochOffset),
  };
}
