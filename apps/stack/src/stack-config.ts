import { z } from 'zod';
import { parseEnvironment, redisEnvProblems, redisEnvShape } from '@imageforge/env-config';

/**
 * The launcher's own settings. Every other variable (API_KEYS, STORAGE_DRIVER,
 * S3_*, MODEL_REGISTRY_PATH, …) passes through to the API and worker unchanged.
 */
export const StackEnvSchema = z.object({
  /** An external Redis (REDIS_URL) or Redis Cluster (REDIS_CLUSTER_NODES); neither: a redis-server child on a free loopback port. */
  ...redisEnvShape,
  /** Where the embedded Redis (AOF) and local object storage keep their files. */
  DATA_DIR: z.string().min(1).default('./.data'),
  /** Port of the API. */
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /** Local object storage shared by the API and worker. Default: DATA_DIR/objects. */
  STORAGE_LOCAL_DIR: z.string().min(1).optional(),
  /** Signs local-storage links. Default: a random secret kept in DATA_DIR/signing-secret. */
  STORAGE_SIGNING_SECRET: z.string().min(16).optional(),
  /**
   * How long each child gets to stop on SIGTERM before it is killed. Default: the worker's own
   * WORKER_SHUTDOWN_TIMEOUT_MS plus 15 s, so the launcher never kills a worker that is still handing
   * its jobs back (which would spend a stall of theirs on an ordinary restart).
   */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().optional(),
  /** Read only to derive SHUTDOWN_TIMEOUT_MS; it passes through to the worker. */
  WORKER_SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  /** Crashes of one service within STACK_RESTART_WINDOW_MS after which the launcher gives up and stops. */
  STACK_MAX_RESTARTS: z.coerce.number().int().min(0).default(5),
  STACK_RESTART_WINDOW_MS: z.coerce.number().int().positive().default(60_000),
});
export type StackEnv = z.infer<typeof StackEnvSchema> & { SHUTDOWN_TIMEOUT_MS: number };

/** The worker exits by itself at its deadline plus 10 s (apps/worker/src/main.ts); the launcher waits longer. */
const WORKER_HARD_EXIT_MARGIN_MS = 10_000;
const SHUTDOWN_MARGIN_MS = 15_000;

export function parseStackEnv(env: Record<string, string | undefined>): StackEnv {
  const parsed = parseEnvironment(StackEnvSchema, env, {
    what: 'launcher',
    crossChecks: (present) => [...redisEnvProblems(present, { required: false }), ...deadlineProblems(present)],
  });
  return { ...parsed, SHUTDOWN_TIMEOUT_MS: parsed.SHUTDOWN_TIMEOUT_MS ?? parsed.WORKER_SHUTDOWN_TIMEOUT_MS + SHUTDOWN_MARGIN_MS };
}

function deadlineProblems(env: Record<string, string>): string[] {
  const launcher = Number(env.SHUTDOWN_TIMEOUT_MS);
  const worker = Number(env.WORKER_SHUTDOWN_TIMEOUT_MS ?? 30_000);
  if (!env.SHUTDOWN_TIMEOUT_MS || !Number.isFinite(launcher) || !Number.isFinite(worker)) return [];
  return launcher > worker + WORKER_HARD_EXIT_MARGIN_MS
    ? []
    : [`  SHUTDOWN_TIMEOUT_MS: must exceed WORKER_SHUTDOWN_TIMEOUT_MS (${worker}) by more than ${WORKER_HARD_EXIT_MARGIN_MS} ms, or the launcher kills workers still handing jobs back`];
}
