import type { JobLane } from '@imageforge/jobs';
import type { RedisClient } from '@imageforge/queue';
import { bucketStart, bucketTtlSeconds, field, laneSeries, METRIC, USAGE_DAY_BUCKETS, USAGE_HOUR_BUCKETS, bucketMs, type HistoryResolution } from './history-buckets';
import { latencyBin } from './latency-histogram';
import { OpsKeys } from './ops-keys';
import type { ErrorClass, FailureGroup } from './ops-views';

/** A job the producer has just queued. */
export interface EnqueuedFact {
  queue: string;
  lane: JobLane;
  model: string;
  /** Set on a batch's line: the batch enters the ops batch list. */
  batchId?: string;
}

/** A job that reached its outcome, as the worker's settled hook saw it. */
export interface SettledFact {
  /** The model queue. */
  queue: string;
  lane: JobLane;
  model: string;
  /** The owner's key hash; only its first 16 characters are stored. */
  owner: string;
  status: 'succeeded' | 'failed' | 'cancelled' | 'expired';
  images: number;
  /** From acceptance to the start of the run; absent when it never started. */
  waitSeconds?: number;
  /** Slot time of the run, counted as GPU-seconds; absent when it never started. */
  runSeconds?: number;
  /** Set unless it succeeded. */
  errorClass?: ErrorClass;
  sample?: FailureGroup['sample'];
}

export interface OpsHistoryRecorderOptions {
  /** Any connection; every key is under `{ops}`, so one pipeline is one slot. */
  redis: RedisClient;
  prefix?: string;
  now?: () => number;
}

/** Batches kept in the ops batch list. */
const BATCH_LIST_LENGTH = 500;
const FAILURE_SAMPLE_TTL_SECONDS = 30 * 24 * 3600;
export const OWNER_PREFIX_LENGTH = 16;

/**
 * Writes the history buckets: one hash per minute and per hour, each written with HINCRBY in one
 * pipeline per event and given its TTL, so memory stays bounded by the span shown. Counts are
 * at least once (a worker that dies between its settled hook and BullMQ's record counts the
 * re-run again): figures for operators, not a ledger.
 */
export class OpsHistoryRecorder {
  private readonly keys: OpsKeys;
  private readonly now: () => number;

  constructor(private readonly options: OpsHistoryRecorderOptions) {
    this.keys = new OpsKeys(options.prefix);
    this.now = options.now ?? Date.now;
  }

  async recordEnqueued(jobs: readonly EnqueuedFact[]): Promise<void> {
    if (jobs.length === 0) return;
    const at = this.now();
    const pipeline = this.options.redis.pipeline();
    for (const resolution of ['minute', 'hour'] as const) {
      const key = this.keys.bucket(resolution, bucketStart(at, resolution));
      for (const [name, count] of tally(jobs.flatMap((job) => [field.lane(laneSeries(job.queue, job.lane), METRIC.enqueued), field.model(job.model, METRIC.enqueued)]))) {
        pipeline.hincrby(key, name, count);
      }
      pipeline.expire(key, bucketTtlSeconds(resolution));
    }
    const batches = [...new Set(jobs.flatMap((job) => (job.batchId ? [job.batchId] : [])))];
    if (batches.length > 0) {
      // NX: a batch keeps the time its first lines were queued.
      pipeline.zadd(this.keys.batches, 'NX', ...batches.flatMap((id) => [at, id]));
      pipeline.zremrangebyrank(this.keys.batches, 0, -BATCH_LIST_LENGTH - 1);
    }
    await exec(pipeline);
  }

  async recordSettled(fact: SettledFact): Promise<void> {
    const at = this.now();
    const series = laneSeries(fact.queue, fact.lane);
    const counted = fact.status === 'succeeded' ? METRIC.completed : METRIC.failed;
    const increments: Array<[string, number]> = [];
    const both = (metric: string, by: number) => increments.push([field.lane(series, metric), by], [field.model(fact.model, metric), by]);
    // Cancelled jobs are neither completed nor failed; they count in their class only.
    if (fact.status !== 'cancelled') both(counted, 1);
    if (fact.images > 0) both(METRIC.images, fact.images);
    if (fact.waitSeconds !== undefined) both(METRIC.waitBin(latencyBin(fact.waitSeconds)), 1);
    if (fact.runSeconds !== undefined) both(METRIC.runBin(latencyBin(fact.runSeconds)), 1);
    if (fact.errorClass) {
      increments.push([field.model(fact.model, METRIC.failureClass(fact.errorClass)), 1], [field.failureClass(fact.errorClass), 1]);
    }
    const pipeline = this.options.redis.pipeline();
    for (const resolution of ['minute', 'hour'] as const) {
      const key = this.keys.bucket(resolution, bucketStart(at, resolution));
      for (const [name, by] of increments) pipeline.hincrby(key, name, by);
      if (fact.runSeconds !== undefined) {
        pipeline.hincrbyfloat(key, field.lane(series, METRIC.gpuSeconds), fact.runSeconds);
        pipeline.hincrbyfloat(key, field.model(fact.model, METRIC.gpuSeconds), fact.runSeconds);
      }
      pipeline.expire(key, bucketTtlSeconds(resolution));
    }
    const owner = fact.owner.slice(0, OWNER_PREFIX_LENGTH);
    for (const [resolution, count] of [['hour', USAGE_HOUR_BUCKETS], ['day', USAGE_DAY_BUCKETS]] as const) {
      if (fact.images === 0 && fact.runSeconds === undefined) break;
      const key = this.keys.usage(resolution, bucketStart(at, resolution));
      if (fact.images > 0) pipeline.hincrby(key, `${owner}:img`, fact.images);
      if (fact.runSeconds !== undefined) pipeline.hincrbyfloat(key, `${owner}:gpu`, fact.runSeconds);
      pipeline.expire(key, Math.ceil(((count + 1) * bucketMs(resolution)) / 1000));
    }
    if (fact.errorClass && fact.sample) {
      pipeline.set(this.keys.failureSample(fact.errorClass), JSON.stringify({ at, sample: fact.sample }), 'EX', FAILURE_SAMPLE_TTL_SECONDS);
    }
    await exec(pipeline);
  }

  /** Waiting jobs per lane, sampled by a worker's heartbeat; the last write of a bucket stands. */
  async recordDepth(depths: ReadonlyArray<{ queue: string; lane: JobLane; waiting: number }>): Promise<void> {
    if (depths.length === 0) return;
    const at = this.now();
    const pipeline = this.options.redis.pipeline();
    for (const resolution of ['minute', 'hour'] as const satisfies readonly HistoryResolution[]) {
      const key = this.keys.bucket(resolution, bucketStart(at, resolution));
      for (const depth of depths) pipeline.hset(key, field.lane(laneSeries(depth.queue, depth.lane), METRIC.depth), depth.waiting);
      pipeline.expire(key, bucketTtlSeconds(resolution));
    }
    await exec(pipeline);
  }
}

function tally(names: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  return counts;
}

/** A pipeline's first failed command is thrown; ioredis otherwise reports them as values. */
export async function exec(pipeline: ReturnType<RedisClient['pipeline']>): Promise<Array<unknown>> {
  const replies = (await pipeline.exec()) ?? [];
  return replies.map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}
