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
  /** How long each child gets to stop on SIGTERM before it is killed. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
});
export type StackEnv = z.infer<typeof StackEnvSchema>;

export function parseStackEnv(env: Record<string, string | undefined>): StackEnv {
  return parseEnvironment(StackEnvSchema, env, { what: 'launcher', crossChecks: (present) => redisEnvProblems(present, { required: false }) });
}
