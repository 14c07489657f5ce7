import { hostname } from 'node:os';
import { z } from 'zod';
import { logEnvShape, modelEnvShape, parseEnvironment, redisEnvProblems, redisEnvShape, redisTargetFromEnv } from '@imageforge/env-config';
import { s3StorageConfigFromEnv, storageEnvProblems, storageEnvShape, type S3StorageConfig } from '@imageforge/storage';

const positiveInt = z.coerce.number().int().positive();

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
  /** Jobs run at once per queue. Default 1: a GPU runs one job at a time; the synthetic engine can go higher. */
  WORKER_CONCURRENCY: positiveInt.max(1000).default(1),
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
  ...modelEnvShape,
  ...storageEnvShape,
  /** Shown in logs and in Redis CLIENT LIST (bull-board's worker list). Default: <host>-<pid>. */
  WORKER_NAME: z.string().regex(/^[\w.-]{1,100}$/, 'letters, digits, _ . and -, at most 100').optional(),
  /** How often the retention sweep deletes objects of jobs no queue holds any more; 0 turns it off. Default: hourly. */
  RETENTION_SWEEP_INTERVAL_MS: z.coerce.number().int().nonnegative().default(3_600_000),
  /** Objects younger than this are never swept. */
  RETENTION_MIN_AGE_SECONDS: positiveInt.default(3_600),
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
    lockDurationMs: number | undefined;
    stalledIntervalMs: number | undefined;
    maxStalledCount: number;
    shutdownTimeoutMs: number;
  };
  models: { registryPath: string | undefined; maxInputPixels: number };
  storage: WorkerStorageConfig;
  /** `sweepIntervalMs` 0: no sweep scheduled by this worker (one already scheduled by another keeps running). */
  retention: { sweepIntervalMs: number; minAgeSeconds: number };
  log: { level: z.infer<typeof WorkerEnvSchema>['LOG_LEVEL'] };
}

export class WorkerConfigError extends Error {
  override readonly name = 'WorkerConfigError';
}

/** Parses the environment, reporting every bad variable in one error. */
export function parseWorkerConfig(env: Record<string, string | undefined>): WorkerConfig {
  const e = parseEnvironment(WorkerEnvSchema, env, {
    what: 'worker',
    crossChecks: (present) => [...redisEnvProblems(present), ...storageEnvProblems(present)],
    error: (message) => new WorkerConfigError(message),
  });
  return {
    redis: redisTargetFromEnv(e),
    queuePrefix: e.QUEUE_PREFIX,
    queues: e.WORKER_QUEUES,
    worker: {
      name: e.WORKER_NAME ?? `${hostname()}-${process.pid}`,
      concurrency: e.WORKER_CONCURRENCY,
      lockDurationMs: e.WORKER_LOCK_DURATION_MS,
      stalledIntervalMs: e.WORKER_STALLED_INTERVAL_MS,
      maxStalledCount: e.WORKER_MAX_STALLED_COUNT,
      shutdownTimeoutMs: e.WORKER_SHUTDOWN_TIMEOUT_MS,
    },
    models: { registryPath: e.MODEL_REGISTRY_PATH, maxInputPixels: e.MAX_INPUT_PIXELS },
    storage: e.STORAGE_DRIVER === 'local' ? { kind: 'local', root: e.STORAGE_LOCAL_DIR } : s3StorageConfigFromEnv(e),
    retention: { sweepIntervalMs: e.RETENTION_SWEEP_INTERVAL_MS, minAgeSeconds: e.RETENTION_MIN_AGE_SECONDS },
    log: { level: e.LOG_LEVEL },
  };
}
