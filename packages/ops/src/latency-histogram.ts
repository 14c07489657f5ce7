import type { Percentiles } from './ops-views';

/**
 * Upper bounds (seconds) of the fixed histogram bins every bucket counts waits and runs in;
 * the last bin is open. Fixed bounds make bins of any buckets addable, so a percentile
 * over an hour is one sum of sixty minutes' counts.
 */
export const LATENCY_BOUNDS_SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120, 300, 600, 1800] as const;
export const LATENCY_BINS = LATENCY_BOUNDS_SECONDS.length + 1;

export function latencyBin(seconds: number): number {
  const index = LATENCY_BOUNDS_SECONDS.findIndex((bound) => seconds <= bound);
  return index === -1 ? LATENCY_BOUNDS_SECONDS.length : index;
}

/** The q-quantile of binned counts, interpolated inside its bin; the open bin answers its lower bound. */
export function quantile(counts: readonly number[], q: number): number | null {
  const total = counts.reduce((sum, count) => sum + count, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let index = 0; index < counts.length; index += 1) {
    const count = counts[index] ?? 0;
    if (count > 0 && seen + count >= rank) {
      const lower = index === 0 ? 0 : LATENCY_BOUNDS_SECONDS[index - 1]!;
      const upper = LATENCY_BOUNDS_SECONDS[index];
      if (upper === undefined) return lower;
      return lower + ((upper - lower) * (rank - seen)) / count;
    }
    seen += count;
  }
  return LATENCY_BOUNDS_SECONDS[LATENCY_BOUNDS_SECONDS.length - 1]!;
}

export function percentilesOf(counts: readonly number[]): Percentiles | null {
  const p50 = quantile(counts, 0.5);
  if (p50 === null) return null;
  return { p50: round(p50), p95: round(quantile(counts, 0.95)!), p99: round(quantile(counts, 0.99)!) };
}

const round = (value: number) => Math.round(value * 1000) / 1000;
