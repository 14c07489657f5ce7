import type { JobLane } from '@imageforge/jobs';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** Buckets kept and shown: a day of minutes, thirty days of hours. */
export const MINUTE_BUCKETS = 24 * 60;
export const HOUR_BUCKETS = 30 * 24;
/** Per-owner usage: hours for a week, UTC days for ninety. */
export const USAGE_HOUR_BUCKETS = 7 * 24;
export const USAGE_DAY_BUCKETS = 90;

export type HistoryResolution = 'minute' | 'hour';

export function bucketMs(resolution: HistoryResolution | 'day'): number {
  return resolution === 'minute' ? MINUTE_MS : resolution === 'hour' ? HOUR_MS : DAY_MS;
}

/** Start of the bucket holding `at`; days are UTC days (unix time has no leap seconds). */
export function bucketStart(at: number, resolution: HistoryResolution | 'day'): number {
  const size = bucketMs(resolution);
  return Math.floor(at / size) * size;
}

/** The starts of the last `count` buckets up to the one holding `now`, oldest first. */
export function recentBucketStarts(now: number, resolution: HistoryResolution | 'day', count: number): number[] {
  const size = bucketMs(resolution);
  const last = bucketStart(now, resolution);
  return Array.from({ length: count }, (_, index) => last - (count - 1 - index) * size);
}

/** Seconds a bucket's key lives: its span plus one bucket, so the oldest one shown is still there. */
export function bucketTtlSeconds(resolution: HistoryResolution, count = resolution === 'minute' ? MINUTE_BUCKETS : HOUR_BUCKETS): number {
  return Math.ceil(((count + 1) * bucketMs(resolution)) / 1000);
}

/** The series name of a lane: `<queue>/<lane>`. */
export function laneSeries(queue: string, lane: JobLane): string {
  return `${queue}/${lane}`;
}

/**
 * Field names inside a bucket hash. A lane's fields start `l:<queue>/<lane>:`, a model's
 * `m:<model>:`; failure classes are also counted bare (`fc:<class>`) for the all-models view.
 */
export const field = {
  lane: (series: string, metric: string) => `l:${series}:${metric}`,
  model: (model: string, metric: string) => `m:${model}:${metric}`,
  failureClass: (errorClass: string) => `fc:${errorClass}`,
};

/** What a lane or model counts per bucket. */
export const METRIC = {
  enqueued: 'enq',
  completed: 'done',
  failed: 'fail',
  images: 'img',
  depth: 'depth',
  gpuSeconds: 'gpu',
  /** Histogram bins: `w<i>` wait seconds, `r<i>` run seconds. */
  waitBin: (index: number) => `w${index}`,
  runBin: (index: number) => `r${index}`,
  failureClass: (errorClass: string) => `fc:${errorClass}`,
} as const;
