import type { ImageJobCatalog } from '@imageforge/jobs';
import { DEFAULT_QUEUE_PREFIX, type JobQueue, type RedisClient } from '@imageforge/queue';
import { field, laneSeries, METRIC, USAGE_DAY_BUCKETS } from './history-buckets';
import { readLaneHeadAges } from './metrics/lane-head-age';
import { OpsActionLog } from './ops-action-log';
import { OpsHistoryQuery } from './ops-history.query';
import { OpsJobLookup, type OpsBatchSource, type SignedUrlPort } from './ops-job-lookup';
import { OpsKeys } from './ops-keys';
import type { ActionRecord, BatchView, FailureGroup, HistorySeries, JobDetail, JobQuery, JobSummary, LaneOverview, ModelOverview, OpsReader, UsageRow, WorkerView } from './ops-views';
import { WorkerHeartbeatStore } from './worker-heartbeat.store';

export interface RedisOpsReaderOptions {
  /** The image queues (every lane of every model queue). */
  queue: JobQueue<ImageJobCatalog>;
  /** A producer connection. */
  connection: RedisClient;
  prefix?: string;
  /** The registry's models and their queues. */
  models: ReadonlyArray<{ id: string; queue: string }>;
  batches?: OpsBatchSource;
  signedUrl?: SignedUrlPort;
  now?: () => number;
}

/** Minutes the per-minute rates average over. */
const RATE_MINUTES = 5;
const BATCHES_SHOWN = 50;

/** OpsReader over the lane queues, the history buckets, the heartbeats and the batch records. */
export class RedisOpsReader implements OpsReader {
  private readonly buckets: OpsHistoryQuery;
  private readonly heartbeats: WorkerHeartbeatStore;
  private readonly log: OpsActionLog;
  private readonly lookup: OpsJobLookup;
  private readonly keys: OpsKeys;
  private readonly now: () => number;

  constructor(private readonly options: RedisOpsReaderOptions) {
    const store = { redis: options.connection, ...(options.prefix !== undefined ? { prefix: options.prefix } : {}) };
    this.buckets = new OpsHistoryQuery(store);
    this.heartbeats = new WorkerHeartbeatStore(store);
    this.log = new OpsActionLog(store);
    this.keys = new OpsKeys(options.prefix);
    this.now = options.now ?? Date.now;
    this.lookup = new OpsJobLookup({
      queue: options.queue,
      connection: options.connection,
      modelQueues: new Map(options.models.map((model) => [model.id, model.queue])),
      ...(options.batches ? { batches: options.batches } : {}),
      ...(options.signedUrl ? { signedUrl: options.signedUrl } : {}),
    });
  }

  async lanes(): Promise<LaneOverview[]> {
    const now = this.now();
    const [hour, recent, heads] = await Promise.all([
      this.buckets.totals('minute', 60, now),
      this.buckets.totals('minute', RATE_MINUTES, now),
      readLaneHeadAges(this.options.connection, this.options.prefix ?? DEFAULT_QUEUE_PREFIX, this.options.queue.queueNames, now),
    ]);
    const headAge = new Map(heads.map((head) => [laneSeries(head.queue, head.lane), head.ageSeconds]));
    return Promise.all(
      this.options.queue.laneQueues.map(async (lane) => {
        const [counts, paused] = await Promise.all([lane.bull.getJobCounts('wait', 'prioritized', 'waiting-children', 'active', 'delayed'), lane.bull.isPaused()]);
        const series = laneSeries(lane.queue, lane.lane);
        const scope = (metric: string) => field.lane(series, metric);
        const waiting = (counts.wait ?? 0) + (counts.prioritized ?? 0) + (counts['waiting-children'] ?? 0);
        return {
          queue: lane.queue,
          lane: lane.lane,
          paused,
          waiting,
          active: counts.active ?? 0,
          delayed: counts.delayed ?? 0,
          failedLastHour: hour.get(scope(METRIC.failed)),
          completedPerMinute: recent.get(scope(METRIC.completed)) / RATE_MINUTES,
          // The head's age is read apart from the counts: a lane counted empty shows no age.
          oldestWaitingAgeMs: waiting > 0 ? Math.round((headAge.get(series) ?? 0) * 1000) : null,
          waitSeconds: hour.percentiles(scope, 'wait'),
          runSeconds: hour.percentiles(scope, 'run'),
        };
      }),
    );
  }

  async models(): Promise<ModelOverview[]> {
    const now = this.now();
    const [hour, recent, workers] = await Promise.all([this.buckets.totals('minute', 60, now), this.buckets.totals('minute', RATE_MINUTES, now), this.heartbeats.list(now)]);
    return this.options.models.map(({ id, queue }) => {
      const scope = (metric: string) => field.model(id, metric);
      const images = hour.get(scope(METRIC.images));
      return {
        model: id,
        queue,
        imagesPerMinute: recent.get(scope(METRIC.images)) / RATE_MINUTES,
        completedLastHour: hour.get(scope(METRIC.completed)),
        failedLastHour: hour.get(scope(METRIC.failed)),
        runSeconds: hour.percentiles(scope, 'run'),
        secondsPerImage: images > 0 ? Math.round((hour.get(scope(METRIC.gpuSeconds)) / images) * 1000) / 1000 : null,
        failuresByClass: hour.failureClasses(scope),
        workers: workers.filter((worker) => !worker.lost && worker.engines.some((engine) => engine.model === id)).map((worker) => worker.name),
      };
    });
  }

  history(resolution: 'minute' | 'hour'): Promise<HistorySeries> {
    const lanes = this.options.queue.laneQueues.map((lane) => laneSeries(lane.queue, lane.lane));
    return this.buckets.series(resolution, lanes, this.now());
  }

  workers(): Promise<WorkerView[]> {
    return this.heartbeats.list(this.now());
  }

  failures(): Promise<FailureGroup[]> {
    return this.buckets.failures(this.now());
  }

  findJobs(query: JobQuery): Promise<JobSummary[]> {
    return this.lookup.find(query);
  }

  job(id: string): Promise<JobDetail | null> {
    return this.lookup.detail(id);
  }

  /** The batches whose lines were queued most recently, newest first; ETA from the rate of lines settled so far. */
  async batches(): Promise<BatchView[]> {
    const source = this.options.batches;
    if (!source) return [];
    const ids = await this.options.connection.zrevrange(this.keys.batches, 0, BATCHES_SHOWN - 1);
    const records = await Promise.all(ids.map((id) => source.get(id)));
    const now = this.now();
    return records.flatMap((record) => {
      if (!record) return [];
      const settled = record.completed + record.failed + record.cancelled;
      const since = (record.inProgressAt ?? record.createdAt) * 1000;
      const remaining = record.total - settled;
      const estimatedFinishAt =
        record.status === 'in_progress' && settled > 0 && remaining > 0 && now > since ? Math.round(now + (remaining * (now - since)) / settled) : null;
      return [{ id: record.id, status: record.status, owner: record.owner.slice(0, 16), endpoint: record.endpoint, counts: { total: record.total, completed: record.completed, failed: record.failed }, createdAt: record.createdAt * 1000, estimatedFinishAt }];
    });
  }

  usage(resolution: 'hour' | 'day'): Promise<UsageRow[]> {
    return this.buckets.usage(resolution, resolution === 'hour' ? 24 : Math.min(30, USAGE_DAY_BUCKETS), this.now());
  }

  actions(): Promise<ActionRecord[]> {
    return this.log.list();
  }
}
