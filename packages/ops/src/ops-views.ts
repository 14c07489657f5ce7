import type { JobLane, JobStatus } from '@imageforge/jobs';

/**
 * What the ops dashboard reads and does, as plain JSON-ready values. The dashboard package renders
 * these and nothing else; the Redis layout behind them is this package's business.
 * Times are unix milliseconds unless a field says otherwise.
 */

export const WORKER_STATES = ['loading', 'idle', 'busy', 'draining'] as const;
export type WorkerState = (typeof WORKER_STATES)[number];

/** Why a job failed, from a bounded set (metric labels use it too). */
export const ERROR_CLASSES = ['engine_error', 'timeout', 'out_of_memory', 'invalid_input', 'storage_fault', 'cancelled', 'expired', 'other'] as const;
export type ErrorClass = (typeof ERROR_CLASSES)[number];

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
}

/** What a worker process publishes about itself every heartbeat interval. */
export interface WorkerHeartbeat {
  name: string;
  host: string;
  pid: number;
  startedAt: number;
  queues: string[];
  lanes: JobLane[];
  /** One per model the worker serves. `device`: `cpu`, `cuda:0`, or `remote` for engines that call a server. */
  engines: Array<{ model: string; kind: string; device: string }>;
  state: WorkerState;
  currentJobs: Array<{ jobId: string; queue: string; lane: JobLane; model: string; progress: number; startedAt: number }>;
  /** Since the process started. */
  done: number;
  failed: number;
  heartbeatAt: number;
  intervalMs: number;
}

export interface WorkerView extends WorkerHeartbeat {
  heartbeatAgeMs: number;
  /** Heartbeat older than three intervals. */
  lost: boolean;
}

export interface LaneOverview {
  /** Model queue (`images`, …) and lane. */
  queue: string;
  lane: JobLane;
  paused: boolean;
  waiting: number;
  active: number;
  delayed: number;
  failedLastHour: number;
  completedPerMinute: number;
  /** Age of the oldest waiting job; null when none waits. */
  oldestWaitingAgeMs: number | null;
  /** Seconds, over the last hour; null before any job finished. */
  waitSeconds: Percentiles | null;
  runSeconds: Percentiles | null;
}

export interface ModelOverview {
  model: string;
  queue: string;
  imagesPerMinute: number;
  completedLastHour: number;
  failedLastHour: number;
  runSeconds: Percentiles | null;
  secondsPerImage: number | null;
  failuresByClass: Partial<Record<ErrorClass, number>>;
  /** Names of live workers serving it. */
  workers: string[];
}

/** One history bucket: per minute (last 24 h) or per hour (last 30 days). `t` is the bucket's start. */
export interface HistoryPoint {
  t: number;
  enqueued: number;
  completed: number;
  failed: number;
  images: number;
  /** Waiting jobs when the bucket was last written. */
  depth: number;
}

export interface HistorySeries {
  resolution: 'minute' | 'hour';
  /** Per lane (`<queue>/<lane>`) and `all`, oldest first, every bucket of the span present (zeros where nothing happened). */
  series: Record<string, HistoryPoint[]>;
}

export interface FailureGroup {
  errorClass: ErrorClass;
  count: number;
  lastAt: number;
  sample: { jobId: string; queue: string; lane: JobLane; model: string; params: Record<string, unknown>; attempts: number; message: string; stack: string | null };
}

export interface JobSummary {
  id: string;
  queue: string;
  lane: JobLane;
  model: string;
  status: JobStatus;
  /** First 16 hex characters of the owner's key hash; never the key. */
  owner: string;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  batchId: string | null;
  customId: string | null;
}

export interface JobDetail extends JobSummary {
  attempts: number;
  worker: string | null;
  operation: string;
  params: Record<string, unknown>;
  /** Signed links, valid for a few minutes. */
  inputs: Array<{ key: string; url: string }>;
  outputs: Array<{ key: string; url: string }>;
  error: { message: string; errorClass: ErrorClass; stack: string | null } | null;
  progress: number;
}

export interface JobQuery {
  /** A job id, batch id, custom_id or owner prefix; matched in that order. */
  text?: string;
  lane?: JobLane;
  model?: string;
  status?: JobStatus;
  limit?: number;
}

export interface BatchView {
  id: string;
  status: string;
  owner: string;
  endpoint: string;
  counts: { total: number; completed: number; failed: number };
  createdAt: number;
  /** Unix ms, from the lines done so far; null when unknown. */
  estimatedFinishAt: number | null;
}

export interface UsageRow {
  owner: string;
  /** Bucket start (an hour or a UTC day). */
  t: number;
  images: number;
  gpuSeconds: number;
}

/** A lane queue (`images` + `batch`), or every lane of a model's queue when `lane` is absent. */
export interface QueueTarget {
  queue: string;
  lane?: JobLane;
}

export interface JobFilter {
  queue: string;
  lane?: JobLane;
  model?: string;
}

export interface ActionRecord {
  at: number;
  who: string;
  action: string;
  target: string;
  affected: number;
}

export interface OpsReader {
  lanes(): Promise<LaneOverview[]>;
  models(): Promise<ModelOverview[]>;
  history(resolution: 'minute' | 'hour'): Promise<HistorySeries>;
  workers(): Promise<WorkerView[]>;
  failures(): Promise<FailureGroup[]>;
  findJobs(query: JobQuery): Promise<JobSummary[]>;
  job(id: string): Promise<JobDetail | null>;
  batches(): Promise<BatchView[]>;
  usage(resolution: 'hour' | 'day'): Promise<UsageRow[]>;
  actions(): Promise<ActionRecord[]>;
}

/** Every action is logged with `who` and answers how many jobs or queues it touched. */
export interface OpsActions {
  pause(target: QueueTarget, who: string): Promise<number>;
  resume(target: QueueTarget, who: string): Promise<number>;
  /** Removes the waiting and delayed jobs (they end cancelled); running ones finish. */
  drain(target: QueueTarget, who: string): Promise<number>;
  retryJob(jobId: string, who: string): Promise<number>;
  retryFailed(filter: JobFilter, who: string): Promise<number>;
  cancelJob(jobId: string, who: string): Promise<number>;
  cancelMatching(filter: JobFilter, who: string): Promise<number>;
  clean(target: QueueTarget, state: 'completed' | 'failed', olderThanMs: number, who: string): Promise<number>;
}
