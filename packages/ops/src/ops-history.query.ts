import type { RedisClient } from '@imageforge/queue';
import { field, HOUR_BUCKETS, METRIC, MINUTE_BUCKETS, recentBucketStarts, type HistoryResolution } from './history-buckets';
import { LATENCY_BINS, percentilesOf } from './latency-histogram';
import { exec } from './ops-history.recorder';
import { OpsKeys } from './ops-keys';
import { ERROR_CLASSES, type ErrorClass, type FailureGroup, type HistoryPoint, type HistorySeries, type Percentiles, type UsageRow } from './ops-views';

/** Summed fields of several buckets. */
export class BucketTotals {
  constructor(private readonly sums: ReadonlyMap<string, number>) {}

  get(name: string): number {
    return this.sums.get(name) ?? 0;
  }

  /** Percentiles of a lane's (`l:<series>`) or model's (`m:<model>`) wait or run histogram. */
  percentiles(scope: (metric: string) => string, kind: 'wait' | 'run'): Percentiles | null {
    const bin = kind === 'wait' ? METRIC.waitBin : METRIC.runBin;
    return percentilesOf(Array.from({ length: LATENCY_BINS }, (_, index) => this.get(scope(bin(index)))));
  }

  failureClasses(scope: (metric: string) => string = (metric) => metric): Partial<Record<ErrorClass, number>> {
    const classes: Partial<Record<ErrorClass, number>> = {};
    for (const errorClass of ERROR_CLASSES) {
      const count = this.get(scope(METRIC.failureClass(errorClass)));
      if (count > 0) classes[errorClass] = count;
    }
    return classes;
  }
}

/** Reads what OpsHistoryRecorder writes, as series, window totals and usage rows. */
export class OpsHistoryQuery {
  private readonly keys: OpsKeys;

  constructor(private readonly options: { redis: RedisClient; prefix?: string }) {
    this.keys = new OpsKeys(options.prefix);
  }

  /** Every bucket of the span for each lane series and `all`, zeros where nothing was written. */
  async series(resolution: HistoryResolution, laneSeriesNames: readonly string[], now: number): Promise<HistorySeries> {
    const starts = recentBucketStarts(now, resolution, resolution === 'minute' ? MINUTE_BUCKETS : HOUR_BUCKETS);
    const metrics = [METRIC.enqueued, METRIC.completed, METRIC.failed, METRIC.images, METRIC.depth] as const;
    const names = laneSeriesNames.flatMap((series) => metrics.map((metric) => field.lane(series, metric)));
    const series: Record<string, HistoryPoint[]> = Object.fromEntries(laneSeriesNames.map((name) => [name, []]));
    series.all = [];
    if (names.length === 0) {
      series.all = starts.map((t) => ({ t, enqueued: 0, completed: 0, failed: 0, images: 0, depth: 0 }));
      return { resolution, series };
    }
    const pipeline = this.options.redis.pipeline();
    for (const start of starts) pipeline.hmget(this.keys.bucket(resolution, start), ...names);
    const rows = (await exec(pipeline)) as Array<Array<string | null>>;
    starts.forEach((t, row) => {
      const all: HistoryPoint = { t, enqueued: 0, completed: 0, failed: 0, images: 0, depth: 0 };
      laneSeriesNames.forEach((name, lane) => {
        const value = (metric: number) => Number(rows[row]?.[lane * metrics.length + metric] ?? 0);
        const point: HistoryPoint = { t, enqueued: value(0), completed: value(1), failed: value(2), images: value(3), depth: value(4) };
        series[name]!.push(point);
        for (const key of ['enqueued', 'completed', 'failed', 'images', 'depth'] as const) all[key] += point[key];
      });
      series.all!.push(all);
    });
    return { resolution, series };
  }

  /** Every field summed over the last `count` buckets up to `now`. */
  async totals(resolution: HistoryResolution, count: number, now: number): Promise<BucketTotals> {
    const pipeline = this.options.redis.pipeline();
    for (const start of recentBucketStarts(now, resolution, count)) pipeline.hgetall(this.keys.bucket(resolution, start));
    const sums = new Map<string, number>();
    for (const hash of (await exec(pipeline)) as Array<Record<string, string>>) {
      for (const [name, value] of Object.entries(hash)) sums.set(name, (sums.get(name) ?? 0) + Number(value));
    }
    return new BucketTotals(sums);
  }

  /** One row per owner and bucket with anything in it, oldest bucket first, biggest users first within it. */
  async usage(resolution: 'hour' | 'day', count: number, now: number): Promise<UsageRow[]> {
    const starts = recentBucketStarts(now, resolution, count);
    const pipeline = this.options.redis.pipeline();
    for (const start of starts) pipeline.hgetall(this.keys.usage(resolution, start));
    const hashes = (await exec(pipeline)) as Array<Record<string, string>>;
    return starts.flatMap((t, index) => {
      const rows = new Map<string, UsageRow>();
      for (const [name, value] of Object.entries(hashes[index] ?? {})) {
        const split = name.lastIndexOf(':');
        const owner = name.slice(0, split);
        const row = rows.get(owner) ?? { owner, t, images: 0, gpuSeconds: 0 };
        if (name.endsWith(':img')) row.images = Number(value);
        else row.gpuSeconds = Math.round(Number(value) * 1000) / 1000;
        rows.set(owner, row);
      }
      return [...rows.values()].sort((a, b) => b.images - a.images || b.gpuSeconds - a.gpuSeconds);
    });
  }

  /** The last sample of each class with one, and the class's count over the last day. */
  async failures(now: number): Promise<FailureGroup[]> {
    const pipeline = this.options.redis.pipeline();
    for (const errorClass of ERROR_CLASSES) pipeline.get(this.keys.failureSample(errorClass));
    const [samples, day] = await Promise.all([exec(pipeline) as Promise<Array<string | null>>, this.totals('hour', 24, now)]);
    const groups: FailureGroup[] = [];
    ERROR_CLASSES.forEach((errorClass, index) => {
      const stored = samples[index];
      if (!stored) return;
      const { at, sample } = JSON.parse(stored) as { at: number; sample: FailureGroup['sample'] };
      groups.push({ errorClass, count: day.get(field.failureClass(errorClass)), lastAt: at, sample });
    });
    return groups.sort((a, b) => b.count - a.count || b.lastAt - a.lastAt);
  }
}
