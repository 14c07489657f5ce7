import { hostname } from 'node:os';
import { z } from 'zod';
import { deadlineDefaultsFromEnv, deadlineEnvShape, logEnvShape, modelEnvShape, parseEnvironment, redisEnvProblems, redisEnvShape, redisTargetFromEnv, retentionEnvProblems, retentionEnvShape, webhookEnvProblems, webhookEnvShape } from '@imageforge/env-config';
import { DEFAULT_HEARTBEAT_INTERVAL_MS, opsHistoryEnvShape } from '@imageforge/ops';
import { s3StorageConfigFromEnv, storageEnvProblems, storageEnvShape, type S3StorageConfig } from '@imageforge/storage';
import { DEFAULT_RETRY_SCHEDULE_MS, MAX_RETRIES, webhookConfigFromEnv, type WebhookConfig } from '@imageforge/webhooks';

const positiveInt = z.coerce.number().int().positive();
const share = z.coerce.number().min(0).max(1);
const DEFAULT_MIN_SHARE = 0.1;

/**
 * Every variable the worker process reads, parsed once in main; nothing else in
 * the worker reads process.env. Storage variables match the API's, since both
 * must point at the same store.
 */
export const WorkerEnvSchema = z.object({
  ...redisEnvShape,
  /** Comma-separated queues to consume. Default: every queue named in the model registry. */
  WORKER_QUEUES: z
    .string()
    .transform((value) => [...new Set(value.split(',').map((item) => item.trim()).filter(Boolean))])
    .pipe(z.array(z.string().regex(/^[A-Za-z0-9_-]+$/, 'queue names are letters, digits, _ and -')).min(1, 'lists no queue'))
    .optional(),
  /**
   * Jobs at once per queue. An exclusive engine (onnx) still runs one job at a time on its device;
   * the second slot reads inputs, encodes and uploads meanwhile, so the device never waits for them.
   */
  WORKER_CONCURRENCY: positiveInt.max(1000).default(2),
  /**
   * How long an idle device holds the first generation of a batchable engine (onnx) for more that
   * can share its UNet pass (same model, size, steps, guidance), up to the engine's `maxBatch`
   * images; a device freed by a run takes what already waits without waiting. 0 turns batching off.
   * Batches fill only when WORKER_CONCURRENCY is at least `maxBatch` (+1 to keep pipelining); edits and
   * variations run alone, and a worker with one slot never batches. Default 5.
   */
  BATCH_WINDOW_MS: z.coerce.number().int().min(0).max(1000).default(5),
  /**
   * Least share of a queue's slots the batch lane gets while it has work, however many sync
   * calls wait; when nothing else waits it may take every slot. Default 0.1.
   */
  WORKER_BATCH_MIN_SHARE: share.default(DEFAULT_MIN_SHARE),
  /** The same floor for the async lane (`Prefer: respond-async` / `wait`), so a sync flood cannot starve it. Default 0.1. */
  WORKER_ASYNC_MIN_SHARE: share.default(DEFAULT_MIN_SHARE),
  /**
   * How long a job's lock lasts before another worker may take it as stalled; renewed at half this while
   * the job runs. Default: the queue package's 60000 (BullMQ's own 30000 is tight for a busy inference process).
   */
  WORKER_LOCK_DURATION_MS: positiveInt.min(1000).optional(),
  /** How often this worker looks for stalled jobs of crashed workers. Default 30000. */
  WORKER_STALLED_INTERVAL_MS: positiveInt.min(100).optional(),
  /**
   * Stalls (lost locks: a crashed or killed worker) a job survives before it fails. A crash is a stall,
   * so at BullMQ's 1 a single SIGKILL (an OOM kill, a drained node) fails a job with attempts to spare;
   * 2 lets a job outlive two crashes in a row, and a job that crashes every worker still stops after three runs.
   */
  WORKER_MAX_STALLED_COUNT: z.coerce.number().int().min(0).max(100).default(2),
  /** On SIGTERM/SIGINT, how long running jobs may take to finish before they are handed back. */
  WORKER_SHUTDOWN_TIMEOUT_MS: positiveInt.default(30_000),
  /**
   * How often this worker writes its heartbeat (state, current jobs, engines) for the ops dashboard;
   * it reads as lost after three intervals without one. Default 5000.
   */
  WORKER_HEARTBEAT_INTERVAL_MS: positiveInt.min(100).default(DEFAULT_HEARTBEAT_INTERVAL_MS),
  ...opsHistoryEnvShape,
  /**
   * Port of this worker's own Prometheus `/metrics` (job outcomes, run and queue-wait histograms,
   * GPU-seconds); unset: not served; 0: a free port, logged at start.
   */
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
  /** Address the worker's `/metrics` listens on. Default 127.0.0.1: set 0.0.0.0 for a Prometheus on another host. */
  WORKER_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  ...modelEnvShape,
  ...storageEnvShape,
  /** Shown in logs and in Redis CLIENT LIST (bull-board's worker list). Default: <host>-<pid>. */
  WORKER_NAME: z.string().regex(/^[\w.-]{1,100}$/, 'letters, digits, _ . and -, at most 100').optional(),
  /** How often the retention sweep deletes objects of jobs no queue holds any more; 0 turns it off. Default: hourly. */
  RETENTION_SWEEP_INTERVAL_MS: z.coerce.number().int().nonnegative().default(3_600_000),
  /** Objects younger than this are never swept. */
  RETENTION_MIN_AGE_SECONDS: positiveInt.default(3_600),
  ...retentionEnvShape,
  /** Batch phases (validate, expand, stop, finalize) run at once in this process; each streams a file, none runs inference. */
  BATCH_PHASE_CONCURRENCY: positiveInt.max(64).default(2),
  /** Batch lines validated and queued per addBulk (and checkpointed after); a batch keeps the size it was validated with. */
  BATCH_CHUNK_SIZE: positiveInt.max(10_000).default(500),
  /** The deadlines a batch's lines are queued with (DEADLINE_QUEUE_WAIT_MS_BATCH, DEADLINE_RUN_MS). */
  ...deadlineEnvShape,
  ...webhookEnvShape,
  /** Webhook deliveries in flight at once in this process (mostly waiting on receivers). */
  WEBHOOK_DELIVERY_CONCURRENCY: positiveInt.max(1000).default(16),
  /**
   * Comma-separated waits (ms) before each retry of a failed delivery, for tests and tuning.
   * Default: Standard Webhooks' 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
   */
  WEBHOOK_RETRY_SCHEDULE_MS: z
    .string()
    .transform((value) => value.split(',').map((item) => item.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^\d{1,9}$/, 'each wait is whole milliseconds')).max(MAX_RETRIES, `at most ${MAX_RETRIES} retries`))
    .transform((waits) => waits.map(Number))
    .optional(),
  /** Longest side of stream previews (partial images) in pixels; unset: the final image's size, as OpenAI's are. */
  STREAM_PREVIEW_MAX_SIDE: z.coerce.number().int().min(16).max(8192).optional(),
  /** jpeg/webp quality (0-100) of stream previews in place of the request's output_compression; unset: the request's. */
  STREAM_PREVIEW_COMPRESSION: z.coerce.number().int().min(0).max(100).optional(),
  ...logEnvShape,
});

/** The worker only reads and writes objects; local links are signed by the API. */
export type WorkerStorageConfig = { kind: 'local'; root: string } | S3StorageConfig;

export interface WorkerConfig {
  redis: ReturnType<typeof redisTargetFromEnv>;
  /** Base of every queue's key prefix. */
  queuePrefix: string;
  /** Queues to consume; undefined means every queue in the registry. */
  queues: string[] | undefined;
  worker: {
    name: string;
    concurrency: number;
    /** Minimum shares of contended slots, per lane. */
    minShares: { batch: number; async: number };
    lockDurationMs: number | undefined;
    stalledIntervalMs: number | undefined;
    maxStalledCount: number;
    shutdownTimeoutMs: number;
    /** BATCH_WINDOW_MS: 0, no batching. */
    batchWindowMs: number;
  };
  models: { registryPath: string | undefined; maxInputPixels: number };
  /** Heartbeats for the ops dashboard, and whether settled jobs are written to its history (OPS_HISTORY). */
  ops: { heartbeatIntervalMs: number; history: boolean };
  /** The worker's own `/metrics`; `port` undefined: not served, 0: any free port. */
  metrics: { port: number | undefined; host: string };
  /**
   * The environment as given, for variables a registry entry names rather than this schema
   * (an `openai-upstream` engine's `apiKeyEnv`): the registry chooses them, so they cannot be declared here.
   */
  engineEnv: Readonly<Record<string, string | undefined>>;
  /** How stream previews are encoded; absent fields follow the final image. */
  previews: { maxSide?: number; compression?: number };
  storage: WorkerStorageConfig;
  /** `sweepIntervalMs` 0: no sweep scheduled by this worker (one already scheduled by another keeps running). */
  retention: { sweepIntervalMs: number; minAgeSeconds: number; outputHours: number; deleteInputsOnFinish: boolean };
  batches: { phaseConcurrency: number; chunkSize: number };
  /** Deadlines stamped on the batch lines this worker expands. */
  deadlines: ReturnType<typeof deadlineDefaultsFromEnv>;
  webhooks: WebhookConfig;
  webhookDelivery: { concurrency: number; retryScheduleMs: readonly number[] };
  log: { level: z.infer<typeof WorkerEnvSchema>['LOG_LEVEL'] };
}

export class WorkerConfigError extends Error {
  override readonly name = 'WorkerConfigError';
}

/** Parses the environment, reporting every bad variable in one error. */
export function parseWorkerConfig(env: Record<string, string | undefined>): WorkerConfig {
  const e = parseEnvironment(WorkerEnvSchema, env, {
    what: 'worker',
    crossChecks: (present) => [...redisEnvProblems(present), ...storageEnvProblems(present), ...laneShareProblems(present), ...webhookEnvProblems(present), ...retentionEnvProblems(present)],
    error: (message) => new WorkerConfigError(message),
  });
  return {
    redis: redisTargetFromEnv(e),
    queuePrefix: e.QUEUE_PREFIX,
    queues: e.WORKER_QUEUES,
    worker: {
      name: e.WORKER_NAME ?? `${hostname()}-${process.pid}`,
      concurrency: e.WORKER_CONCURRENCY,
      minShares: { batch: e.WORKER_BATCH_MIN_SHARE, async: e.WORKER_ASYNC_MIN_SHARE },
      lockDurationMs: e.WORKER_LOCK_DURATION_MS,
      stalledIntervalMs: e.WORKER_STALLED_INTERVAL_MS,
      maxStalledCount: e.WORKER_MAX_STALLED_COUNT,
      shutdownTimeoutMs: e.WORKER_SHUTDOWN_TIMEOUT_MS,
      batchWindowMs: e.BATCH_WINDOW_MS,
    },
    models: { registryPath: e.MODEL_REGISTRY_PATH, maxInputPixels: e.MAX_INPUT_PIXELS },
    ops: { heartbeatIntervalMs: e.WORKER_HEARTBEAT_INTERVAL_MS, history: e.OPS_HISTORY },
    metrics: { port: e.WORKER_METRICS_PORT, host: e.WORKER_METRICS_HOST },
    engineEnv: { ...env },
    previews: {
      ...(e.STREAM_PREVIEW_MAX_SIDE !== undefined ? { maxSide: e.STREAM_PREVIEW_MAX_SIDE } : {}),
      ...(e.STREAM_PREVIEW_COMPRESSION !== undefined ? { compression: e.STREAM_PREVIEW_COMPRESSION } : {}),
    },
    storage: e.STORAGE_DRIVER === 'local' ? { kind: 'local', root: e.STORAGE_LOCAL_DIR } : s3StorageConfigFromEnv(e),
    retention: {
      sweepIntervalMs: e.RETENTION_SWEEP_INTERVAL_MS,
      minAgeSeconds: e.RETENTION_MIN_AGE_SECONDS,
      outputHours: e.RETENTION_OUTPUT_HOURS,
      deleteInputsOnFinish: e.RETENTION_DELETE_INPUTS_ON_FINISH,
    },
    batches: { phaseConcurrency: e.BATCH_PHASE_CONCURRENCY, chunkSize: e.BATCH_CHUNK_SIZE },
    deadlines: deadlineDefaultsFromEnv(e),
    webhooks: workerWebhookConfig(e),
    webhookDelivery: { concurrency: e.WEBHOOK_DELIVERY_CONCURRENCY, retryScheduleMs: e.WEBHOOK_RETRY_SCHEDULE_MS ?? DEFAULT_RETRY_SCHEDULE_MS },
    log: { level: e.LOG_LEVEL },
  };
}

/** Floors above all of the capacity together cannot all be met. */
function laneShareProblems(present: Record<string, string>): string[] {
  const total = ['WORKER_BATCH_MIN_SHARE', 'WORKER_ASYNC_MIN_SHARE'].reduce((sum, name) => sum + Number(present[name] ?? DEFAULT_MIN_SHARE), 0);
  return total > 1 ? [`  WORKER_BATCH_MIN_SHARE + WORKER_ASYNC_MIN_SHARE: add up to ${total}, more than all of the capacity`] : [];
}

function workerWebhookConfig(env: z.infer<typeof WorkerEnvSchema>): WebhookConfig {
  try {
    return webhookConfigFromEnv(env);
  } catch (error) {
    throw new WorkerConfigError((error as Error).message);
  }
}
