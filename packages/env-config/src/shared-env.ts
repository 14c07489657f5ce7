import { z } from 'zod';

/**
 * Variables more than one process reads, declared once so every app parses them
 * with the same names, bounds and defaults. Apps spread these shapes into their own
 * schemas. (Storage variables live beside storage, in @imageforge/storage.)
 */

const HOST_PORT = /^\[?[A-Za-z0-9.:-]+\]?:\d{1,5}$/;

export const redisEnvShape = {
  /** One Redis server holding the queues, e.g. redis://127.0.0.1:6379. */
  REDIS_URL: z.string().regex(/^rediss?:\/\/\S+$/, 'must be a redis:// or rediss:// URL').optional(),
  /** Seed nodes of a Redis Cluster, comma-separated host:port; used instead of REDIS_URL. */
  REDIS_CLUSTER_NODES: z
    .string()
    .transform((value) => value.split(',').map((item) => item.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(HOST_PORT, 'each node is host:port')).min(1, 'lists no node'))
    .transform((nodes) =>
      nodes.map((node) => {
        const split = node.lastIndexOf(':');
        return { host: node.slice(0, split).replace(/^\[|\]$/g, ''), port: Number(node.slice(split + 1)) };
      }),
    )
    .optional(),
  /** Base of every queue's key prefix (`<QUEUE_PREFIX>:{<queue>}`); deployments sharing a Redis need different ones. */
  QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . and -, at most 64').default('bull'),
};

export const logEnvShape = {
  /** pino level. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};

export const modelEnvShape = {
  /** JSON model registry; unset: every OpenAI model name on the synthetic engine. */
  MODEL_REGISTRY_PATH: z.string().min(1).optional(),
  /** Largest input image, in pixels, the API accepts and a worker decodes (decompression-bomb guard). */
  MAX_INPUT_PIXELS: z.coerce.number().int().positive().default(64 * 1024 * 1024),
};

export type RedisEnv = z.infer<z.ZodObject<typeof redisEnvShape>>;

/** Exactly one way to reach Redis, checked on the raw values so it is reported with every other problem. */
export function redisEnvProblems(env: Record<string, string | undefined>, options: { required: boolean } = { required: true }): string[] {
  if (env.REDIS_URL && env.REDIS_CLUSTER_NODES) return ['  REDIS_CLUSTER_NODES: set REDIS_URL or REDIS_CLUSTER_NODES, not both'];
  if (options.required && !env.REDIS_URL && !env.REDIS_CLUSTER_NODES) return ['  REDIS_URL: required (or REDIS_CLUSTER_NODES for a Redis Cluster)'];
  return [];
}

/** Where Redis is, as the queue package's createRedisConnection takes it; call after redisEnvProblems found none. */
export function redisTargetFromEnv(env: RedisEnv): { url: string } | { clusterNodes: Array<{ host: string; port: number }> } {
  if (env.REDIS_CLUSTER_NODES) return { clusterNodes: env.REDIS_CLUSTER_NODES };
  if (!env.REDIS_URL) throw new Error('REDIS_URL or REDIS_CLUSTER_NODES must be set');
  return { url: env.REDIS_URL };
}
