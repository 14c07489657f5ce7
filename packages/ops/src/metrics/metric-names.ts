/**
 * Every metric the service exports, by name, with its type and the bounded labels it carries.
 * The factories register exactly these, and the alert rules may reference only these (a test
 * holds them to it), so a rename cannot silently orphan an alert. No imports: the alert-rule
 * test reads this file from outside the package.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface MetricDeclaration {
  name: string;
  type: MetricType;
  help: string;
  labels: readonly string[];
}

/** Seconds from a job's enqueue (BullMQ's timestamp) to a worker taking it (processedOn). */
export const QUEUE_WAIT_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400] as const;
/** Seconds a job held its slot. */
export const RUN_BUCKETS = [0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300] as const;
export const STORAGE_UPLOAD_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;
export const MODEL_LOAD_BUCKETS = [0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600] as const;
export const HTTP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300] as const;

const declare = <const T extends Record<string, MetricDeclaration>>(metrics: T): T => metrics;

/** Shown by every API process; the queue, worker and batch gauges describe the whole deployment (read from Redis at scrape time). */
export const API_METRICS = declare({
  syncWaiters: { name: 'imageforge_sync_waiters', type: 'gauge', help: 'Synchronous requests waiting for their jobs in this API process.', labels: [] },
  queueJobs: { name: 'imageforge_queue_jobs', type: 'gauge', help: 'Jobs per model queue, lane and BullMQ state.', labels: ['queue', 'lane', 'state'] },
  oldestWaitingAge: {
    name: 'imageforge_queue_oldest_waiting_age_seconds',
    type: 'gauge',
    help: 'Age of the job at the head of each lane (wait list, then prioritized set), from its enqueue; 0 when none waits.',
    labels: ['queue', 'lane'],
  },
  jobEvents: {
    name: 'imageforge_job_events_total',
    type: 'counter',
    help: 'Jobs of the whole deployment that expired unstarted, ran past their run deadline, were refused as overloaded (503), or were cancelled when their sync caller hung up.',
    labels: ['event', 'queue', 'lane'],
  },
  batches: { name: 'imageforge_batches', type: 'gauge', help: 'Batches of the deployment by status.', labels: ['status'] },
  workers: { name: 'imageforge_workers', type: 'gauge', help: 'Worker processes by state, from their heartbeats; `lost`: no heartbeat for three intervals.', labels: ['state'] },
  laneWorkers: {
    name: 'imageforge_queue_live_workers',
    type: 'gauge',
    help: 'Live workers (heartbeat not lost) serving each lane of each model queue.',
    labels: ['queue', 'lane'],
  },
  workerHeartbeat: {
    name: 'imageforge_worker_last_heartbeat_timestamp_seconds',
    type: 'gauge',
    help: 'Unix time of the last heartbeat of each worker still listed.',
    labels: ['worker'],
  },
  jobsEnqueued: {
    name: 'imageforge_jobs_enqueued_total',
    type: 'counter',
    help: 'Image jobs queued, by model queue, lane, model and source (sync, async: this API; batch: the worker expanding a batch).',
    labels: ['queue', 'lane', 'model', 'source'],
  },
  syncTimeouts: {
    name: 'imageforge_sync_timeouts_total',
    type: 'counter',
    help: 'Synchronous calls answered job_timeout because their job did not finish within SYNC_TIMEOUT_MS.',
    labels: ['route'],
  },
  rateLimited: {
    name: 'imageforge_rate_limited_total',
    type: 'counter',
    help: 'Requests refused with 429 by a per-key limit: requests or images per minute, concurrent jobs, or the daily quota.',
    labels: ['limit'],
  },
  httpDuration: {
    name: 'imageforge_http_request_duration_seconds',
    type: 'histogram',
    help: 'HTTP requests by express route pattern (`unmatched` for none), mode (sync, async, stream) and status class.',
    labels: ['route', 'mode', 'status_class'],
  },
});

/** Shown by each worker process on its own /metrics (WORKER_METRICS_PORT). */
export const WORKER_METRICS = declare({
  jobsEnqueued: API_METRICS.jobsEnqueued,
  jobsFinished: { name: 'imageforge_jobs_finished_total', type: 'counter', help: 'Image jobs settled by this worker, by outcome.', labels: ['queue', 'lane', 'model', 'outcome'] },
  jobFailures: { name: 'imageforge_job_failures_total', type: 'counter', help: 'Image jobs failed for good, by model and error class.', labels: ['model', 'error_class'] },
  jobRetries: { name: 'imageforge_job_retries_total', type: 'counter', help: 'Attempts of image jobs that failed and will be retried.', labels: ['queue', 'lane'] },
  jobsStalled: {
    name: 'imageforge_jobs_stalled_total',
    type: 'counter',
    help: 'Jobs this worker found stalled (their lock lapsed: the worker running them died or blocked) and returned to the queue.',
    labels: ['queue', 'lane'],
  },
  imagesGenerated: { name: 'imageforge_images_generated_total', type: 'counter', help: 'Images stored by succeeded jobs.', labels: ['model'] },
  gpuSeconds: { name: 'imageforge_gpu_seconds_total', type: 'counter', help: 'Seconds spent inside the engine, by model and lane.', labels: ['model', 'lane'] },
  queueWait: {
    name: 'imageforge_job_queue_wait_seconds',
    type: 'histogram',
    help: 'Seconds from a job being queued to a worker taking it, for the jobs this worker settled.',
    labels: ['queue', 'lane'],
  },
  runSeconds: { name: 'imageforge_job_run_seconds', type: 'histogram', help: 'Seconds from a job getting its slot to its outcome.', labels: ['model', 'lane'] },
  storageUpload: { name: 'imageforge_storage_upload_seconds', type: 'histogram', help: 'Seconds storing the outputs of one job.', labels: ['model'] },
  modelLoad: { name: 'imageforge_model_load_seconds', type: 'histogram', help: 'Seconds an engine took to load, by engine kind.', labels: ['engine'] },
  webhookDeliveries: {
    name: 'imageforge_webhook_deliveries_total',
    type: 'counter',
    help: 'Webhook delivery attempts by outcome: delivered, retrying, failed (for good), disabled (410 or a disabled endpoint).',
    labels: ['outcome'],
  },
});

/** prom-client's default process metrics both apps keep; the ones alerts or tests read are named here. */
export const DEFAULT_PROCESS_METRICS = ['nodejs_heap_size_used_bytes', 'nodejs_heap_size_total_bytes', 'process_resident_memory_bytes', 'process_start_time_seconds'] as const;

/** Series Prometheus makes itself for every target. */
export const SCRAPE_METRICS = ['up', 'scrape_duration_seconds', 'scrape_samples_scraped'] as const;

/**
 * Every name a PromQL expression may use: declared metrics, the `_bucket`/`_sum`/`_count`
 * series of histograms, default process metrics and scrape series.
 */
export function exportedSeriesNames(): Set<string> {
  const names = new Set<string>([...DEFAULT_PROCESS_METRICS, ...SCRAPE_METRICS]);
  for (const metric of [...Object.values(API_METRICS), ...Object.values(WORKER_METRICS)] as MetricDeclaration[]) {
    names.add(metric.name);
    if (metric.type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${metric.name}${suffix}`);
  }
  return names;
}
