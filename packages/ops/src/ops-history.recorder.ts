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
  /** Slot time of the run; absent when it never started. */
  runSeconds?: number;
  /** Time the run held its device (the worker's engine time); GPU-seconds count this, else runSeconds. */
  gpuSeconds?: number;
  /** Set unless it succeeded. */
  errorClass?: ErrorClass;
  sample?: FailureGroup['sample'];
}

export interface OpsHistoryRecorderOptions {
  /** Any connection; every key is under `{ops}`, so one pipeline is one slot. */
  redis: RedisClient;
  prefix?: string;
  now?: () => number;
  /** How often what was counted is written; 0 writes on every call (tests). Default FLUSH_INTERVAL_MS. */
  flushIntervalMs?: number;
  /** Told when a flush fails; its counts are dropped. */
  onFlushError?: (error: unknown) => void;
}

/** Batches kept in the ops batch list. */
const BATCH_LIST_LENGTH = 500;
const FAILURE_SAMPLE_TTL_SECONDS = 30 * 24 * 3600;
export const OWNER_PREFIX_LENGTH = 16;
/** One write a second per process, however many jobs it queues or settles. */
export const FLUSH_INTERVAL_MS = 1_000;

/** What one process counted since its last flush: sums per hash field, written as one pipeline. */
class PendingCounts {
  readonly increments = new Map<string, Map<string, number>>();
  readonly floats = new Map<string, Map<string, number>>();
  readonly values = new Map<string, Map<string, number>>();
  readonly ttls = new Map<string, number>();
  readonly batches = new Map<string, number>();
  readonly samples = new Map<string, string>();

  add(into: Map<string, Map<string, number>>, key: string, name: string, by: number, ttlSeconds: number): void {
    let fields = into.get(key);
    if (!fields) into.set(key, (fields = new Map()));
    fields.set(name, (fields.get(name) ?? 0) + by);
    this.ttls.set(key, ttlSeconds);
  }

  set(key: string, name: string, value: number, ttlSeconds: number): void {
    let fields = this.values.get(key);
    if (!fields) this.values.set(key, (fields = new Map()));
    fields.set(name, value);
    this.ttls.set(key, ttlSeconds);
  }

  get empty(): boolean {
    return this.ttls.size === 0 && this.batches.size === 0 && this.samples.size === 0;
  }
}

/**
 * Writes the history buckets: one hash per minute and per hour, each given its TTL, so memory
 * stays bounded by the span shown. Counts are summed in the process and written once a second
 * (HINCRBY per distinct field), so a job costs the hot path no Redis round trip; a process that
 * dies loses at most its last second, and one that crashes between its settled hook and BullMQ's
 * record counts the re-run again: figures for operators, not a ledger.
 */
export class OpsHistoryRecorder {
  private readonly keys: OpsKeys;
  private readonly now: () => number;
  private readonly flushIntervalMs: number;
  private pending = new PendingCounts();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: OpsHistoryRecorderOptions) {
    this.keys = new OpsKeys(options.prefix);
    this.now = options.now ?? Date.now;
    this.flushIntervalMs = options.flushIntervalMs ?? FLUSH_INTERVAL_MS;
  }

  recordEnqueued(jobs: readonly EnqueuedFact[]): Promise<void> {
    if (jobs.length === 0) return Promise.resolve();
    const at = this.now();
    for (const resolution of ['minute', 'hour'] as const) {
      const key = this.keys.bucket(resolution, bucketStart(at, resolution));
      for (const [name, count] of tally(jobs.flatMap((job) => [field.lane(laneSeries(job.queue, job.lane), METRIC.enqueued), field.model(job.model, METRIC.enqueued)]))) {
        this.pending.add(this.pending.increments, key, name, count, bucketTtlSeconds(resolution));
      }
    }
    // The earliest time seen stands: a batch keeps the time its first lines were queued.
    for (const job of jobs) if (job.batchId && !this.pending.batches.has(job.batchId)) this.pending.batches.set(job.batchId, at);
    return this.written();
  }

  recordSettled(fact: SettledFact): Promise<void> {
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
    const { pending } = this;
    const gpuSeconds = fact.gpuSeconds ?? fact.runSeconds;
    for (const resolution of ['minute', 'hour'] as const) {
      const key = this.keys.bucket(resolution, bucketStart(at, resolution));
      const ttl = bucketTtlSeconds(resolution);
      for (const [name, by] of increments) pending.add(pending.increments, key, name, by, ttl);
      if (gpuSeconds !== undefined) {
        pending.add(pending.floats, key, field.lane(series, METRIC.gpuSeconds), gpuSeconds, ttl);
        pending.add(pending.floats, key, field.model(fact.model, METRIC.gpuSeconds), gpuSeconds, ttl);
      }
    }
    const owner = fact.owner.slice(0, OWNER_PREFIX_LENGTH);
    for (const [resolution, count] of [['hour', USAGE_HOUR_BUCKETS], ['day', USAGE_DAY_BUCKETS]] as const) {
      if (fact.images === 0 && gpuSeconds === undefined) break;
      const key = this.keys.usage(resolution, bucketStart(at, resolution));
      const ttl = Math.ceil(((count + 1) * bucketMs(resolution)) / 1000);
      if (fact.images > 0) pending.add(pending.increments, key, `${owner}:img`, fact.images, ttl);
      if (gpuSeconds !== undefined) pending.add(pending.floats, key, `${owner}:gpu`, gpuSeconds, ttl);
    }
    if (fact.errorClass && fact.sample) pending.samples.set(this.keys.failureSample(fact.errorClass), JSON.stringify({ at, sample: fact.sample }));
    // Failures are rare and an operator looks for them at once: they go out now, with whatever is pending.
    return fact.errorClass ? this.flush() : this.written();
  }

  /** Waiting jobs per lane, sampled by a worker's heartbeat; the last write of a bucket stands. */
  recordDepth(depths: ReadonlyArray<{ queue: string; lane: JobLane; waiting: number }>): Promise<void> {
    if (depths.length === 0) return Promise.resolve();
    const at = this.now();
    for (const resolution of ['minute', 'hour'] as const satisfies readonly HistoryResolution[]) {
      const key = this.keys.bucket(resolution, bucketStart(at, resolution));
      for (const depth of depths) this.pending.set(key, field.lane(laneSeries(depth.queue, depth.lane), METRIC.depth), depth.waiting, bucketTtlSeconds(resolution));
    }
    return this.written();
  }

  /** Writes everything counted so far in one pipeline. */
  async flush(): Promise<void> {
    const pending = this.pending;
    if (pending.empty) return;
    this.pending = new PendingCounts();
    const pipeline = this.options.redis.pipeline();
    for (const [key, fields] of pending.increments) for (const [name, by] of fields) pipeline.hincrby(key, name, by);
    for (const [key, fields] of pending.floats) for (const [name, by] of fields) pipeline.hincrbyfloat(key, name, by);
    for (const [key, fields] of pending.values) for (const [name, value] of fields) pipeline.hset(key, name, value);
    for (const [key, ttl] of pending.ttls) pipeline.expire(key, ttl);
    if (pending.batches.size > 0) {
      pipeline.zadd(this.keys.batches, 'NX', ...[...pending.batches].flatMap(([id, at]) => [at, id]));
      pipeline.zremrangebyrank(this.keys.batches, 0, -BATCH_LIST_LENGTH - 1);
    }
    for (const [key, json] of pending.samples) pipeline.set(key, json, 'EX', FAILURE_SAMPLE_TTL_SECONDS);
    await exec(pipeline);
  }

  /** Stops the timer and writes what is left. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  private written(): Promise<void> {
    if (this.flushIntervalMs === 0) return this.flush();
    if (!this.timer) {
      this.timer = setInterval(() => {
        this.flush().catch((error: unknown) => this.options.onFlushError?.(error));
      }, this.flushIntervalMs);
      this.timer.unref();
    }
    return Promise.resolve();
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
