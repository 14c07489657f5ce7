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

/** Standard Webhooks secrets: `whsec_` and the base64 of 24 to 64 random bytes. */
const webhookSecret = z.string().refine((value) => {
  const encoded = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(value)?.[1];
  if (!encoded || encoded.length % 4 !== 0) return false;
  const bytes = Buffer.from(encoded, 'base64').length;
  return bytes >= 24 && bytes <= 64;
}, 'must be whsec_ followed by the base64 of 24 to 64 random bytes');

/** An event type, `*`, or a prefix wildcard such as `image.job.*`; which names exist is the webhooks package's to check. */
const webhookEventFilter = z.string().regex(/^(\*|[a-z_]+(\.[a-z_]+)*(\.\*)?)$/, "must be an event type, '*', or a prefix such as 'image.job.*'");

const WebhookEndpointEnvSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . and -, at most 64'),
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  secret: webhookSecret,
  /** Omitted or `*`: every event. */
  events: z.array(webhookEventFilter).min(1, 'lists no event; omit it for every event').optional(),
  /** sha256 hex of an API key: only that key's events. Omitted: every owner's. */
  owner: z.string().regex(/^[0-9a-f]{64}$/, 'must be the sha256 hex of an API key').optional(),
});

const jsonText = z.string().transform((text, ctx) => {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `is not valid JSON (${(error as Error).message})` });
    return z.NEVER;
  }
});

const commaSeparated = z.string().transform((value) => value.split(',').map((item) => item.trim()).filter(Boolean));

export const webhookEnvShape = {
  /** JSON array of `{ id, url, secret: "whsec_…", events?, owner? }`: where events are delivered. */
  WEBHOOK_ENDPOINTS: jsonText
    .pipe(
      z.array(WebhookEndpointEnvSchema).superRefine((endpoints, ctx) => {
        const seen = new Set<string>();
        endpoints.forEach((endpoint, index) => {
          if (seen.has(endpoint.id)) ctx.addIssue({ code: 'custom', path: [index, 'id'], message: `endpoint id ${endpoint.id} appears twice` });
          seen.add(endpoint.id);
        });
      }),
    )
    .default([]),
  /** Host names (`hooks.example.com`) or suffixes (`.example.com`) a request's own `webhook_url` may name. Empty: no `webhook_url`. */
  WEBHOOK_ALLOWED_HOSTS: commaSeparated
    .pipe(z.array(z.string().regex(/^\.?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/, 'each entry is a host name or a .suffix')))
    .transform((hosts) => hosts.map((host) => host.toLowerCase()))
    .default([]),
  /** Signs deliveries to request-named `webhook_url`s (configured endpoints have their own secrets). */
  WEBHOOK_SECRET: webhookSecret.optional(),
  /** Lets deliveries reach loopback, private, link-local and similar addresses; for development and tests only. */
  WEBHOOK_ALLOW_PRIVATE_ADDRESSES: z.enum(['true', 'false']).transform((value) => value === 'true').default(false),
};

export type WebhookEnv = z.infer<z.ZodObject<typeof webhookEnvShape>>;

/** A `webhook_url` is signed with WEBHOOK_SECRET, so hosts to send it to need one. */
export function webhookEnvProblems(env: Record<string, string | undefined>): string[] {
  const hosts = (env.WEBHOOK_ALLOWED_HOSTS ?? '').split(',').some((host) => host.trim() !== '');
  return hosts && !env.WEBHOOK_SECRET ? ['  WEBHOOK_SECRET: required when WEBHOOK_ALLOWED_HOSTS is set (it signs deliveries to webhook_url)'] : [];
}

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

/** Image links last this long by default (OpenAI's 60 minutes); retention may not delete images sooner. */
const DEFAULT_URL_TTL_SECONDS = 3600;

export const retentionEnvShape = {
  /**
   * Hours a job's images (and stream previews) are kept after they are written; the sweep then deletes
   * them and polls answer `result_expired`. At least 1: a link handed out at completion must still work.
   */
  RETENTION_OUTPUT_HOURS: z.coerce.number().min(1, 'must be at least 1: image links last 60 minutes').max(24 * 366).default(24),
  /** Delete a job's stored inputs once it has ended for good; `false` keeps them as long as its record. */
  RETENTION_DELETE_INPUTS_ON_FINISH: z.enum(['true', 'false']).transform((value) => value === 'true').default(true),
};

/** Images must outlive the links to them: checked on the raw values, against URL_TTL_SECONDS where the process has it. */
export function retentionEnvProblems(env: Record<string, string | undefined>): string[] {
  const hours = Number(env.RETENTION_OUTPUT_HOURS ?? 24);
  const ttl = Number(env.URL_TTL_SECONDS ?? DEFAULT_URL_TTL_SECONDS);
  if (!Number.isFinite(hours) || !Number.isFinite(ttl) || hours < 1) return [];
  return hours * 3600 < ttl ? [`  RETENTION_OUTPUT_HOURS: ${hours} h deletes images before their links (URL_TTL_SECONDS=${ttl}) expire`] : [];
}

/** A deadline in milliseconds: at most a week, the longest a queued job is kept waiting anyway. */
const deadlineMs = z.coerce.number().int().positive().max(7 * 24 * 3600 * 1000).optional();

/**
 * Server deadlines: the API stamps them on the jobs it queues, a worker on the batch lines it
 * expands, and workers enforce what each payload carries. Unset: no deadline.
 */
export const deadlineEnvShape = {
  /** Longest wait to start for a sync call's job; past it the job ends `expired` without running. */
  DEADLINE_QUEUE_WAIT_MS_INTERACTIVE: deadlineMs,
  /** The same for `Prefer: respond-async` / `wait` jobs. */
  DEADLINE_QUEUE_WAIT_MS_ASYNC: deadlineMs,
  /** The same for a batch's lines, counted from when the line is queued. */
  DEADLINE_QUEUE_WAIT_MS_BATCH: deadlineMs,
  /** Longest run of any image job once it holds a slot; past it the run is aborted and fails `deadline_exceeded`. */
  DEADLINE_RUN_MS: deadlineMs,
};

export type DeadlineEnv = z.infer<z.ZodObject<typeof deadlineEnvShape>>;

/** The deadline defaults the job model takes (its DeadlineDefaults), by lane. */
export function deadlineDefaultsFromEnv(env: DeadlineEnv): { queueWaitMs: { interactive?: number; async?: number; batch?: number }; runMs?: number } {
  return {
    queueWaitMs: { interactive: env.DEADLINE_QUEUE_WAIT_MS_INTERACTIVE, async: env.DEADLINE_QUEUE_WAIT_MS_ASYNC, batch: env.DEADLINE_QUEUE_WAIT_MS_BATCH },
    runMs: env.DEADLINE_RUN_MS,
  };
}
