import { isIP } from 'node:net';
import { z } from 'zod';
import { deadlineEnvShape, logEnvShape, modelEnvShape, parseEnvironment, redisEnvProblems, redisEnvShape, retentionEnvProblems, retentionEnvShape, webhookEnvProblems, webhookEnvShape } from '@imageforge/env-config';
import { opsHistoryEnvShape } from '@imageforge/ops';
import { storageEnvProblems, storageEnvShape } from '@imageforge/storage';
import { webhookConfigFromEnv } from '@imageforge/webhooks';

const commaList = z
  .string()
  .optional()
  .transform((value) => (value ?? '').split(',').map((item) => item.trim()).filter(Boolean));

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * Everything the API process reads from its environment, parsed once in main.
 * Nothing else in the API reads process.env.
 */
export const ApiEnvSchema = z
  .object({
    /** TCP port the HTTP server listens on. */
    PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    /** Bind address. With neither API_KEYS nor ADMIN_KEY only loopback addresses are accepted. */
    HOST: z.string().min(1).default('127.0.0.1'),
    ...redisEnvShape,
    /** Comma-separated static bearer keys with every scope. Empty, and no ADMIN_KEY: no auth, loopback only. */
    API_KEYS: commaList,
    /** Key for /admin: the dashboard, webhook deliveries and managed API keys (Bearer or Basic password). Unset: all off. */
    ADMIN_KEY: z.string().min(16, 'ADMIN_KEY must be at least 16 characters').optional(),
    /** The ops dashboard at /dashboard (behind ADMIN_KEY) shows everything but pauses, retries, cancels and cleans nothing. */
    DASHBOARD_READ_ONLY: z.enum(['true', 'false']).transform((value) => value === 'true').default(false),
    /** Base URL callers reach this API at; used in links to locally stored images. */
    PUBLIC_BASE_URL: z.string().url().optional(),
    ...modelEnvShape,
    /** How long a synchronous request waits for its job before answering with the job id. */
    SYNC_TIMEOUT_MS: z.coerce.number().int().positive().default(300_000),
    /** A sync caller that hangs up cancels its job if no worker has started it (streams and Idempotency-Key calls keep theirs). */
    CANCEL_ABANDONED_SYNC_JOBS: z.enum(['true', 'false']).transform((value) => value === 'true').default(true),
    ...deadlineEnvShape,
    /** Lifetime of returned image links; OpenAI's last 60 minutes. */
    URL_TTL_SECONDS: z.coerce.number().int().positive().default(3600),
    ...retentionEnvShape,
    /** Cap on a whole request body (multipart or JSON edits); larger requests get 413. */
    MAX_REQUEST_BYTES: z.coerce.number().int().positive().default(200 * 1024 * 1024),
    ...storageEnvShape,
    /** Secret signing local-storage links; required with local storage. */
    STORAGE_SIGNING_SECRET: z.string().min(16).optional(),
    ...webhookEnvShape,
    /** Seconds a batch has before it expires. OpenAI's window is 24 h; only tests shorten it. */
    BATCH_COMPLETION_WINDOW_SECONDS: z.coerce.number().int().positive().default(24 * 3600),
    /** Default requests per minute per key, over every authenticated /v1 call; a key's own limit wins. Unset: unlimited. */
    RATE_LIMIT_REQUESTS_PER_MINUTE: z.coerce.number().int().positive().optional(),
    /** Default images (`n`) per minute per key, over generations, edits and variations (not batch lines). Unset: unlimited. */
    RATE_LIMIT_IMAGES_PER_MINUTE: z.coerce.number().int().positive().optional(),
    /** Default jobs per key queued or running at once (not batch lines). Unset: unlimited. */
    RATE_LIMIT_CONCURRENT_JOBS: z.coerce.number().int().positive().optional(),
    /** Default images per key per UTC day (not batch lines). Unset: unlimited. */
    QUOTA_DAILY_IMAGES: z.coerce.number().int().positive().optional(),
    ...opsHistoryEnvShape,
    ...logEnvShape,
  });

export type ApiEnv = z.infer<typeof ApiEnvSchema>;

/** Parses the environment, reporting every bad variable at once. */
export function parseApiEnv(env: Record<string, string | undefined>): ApiEnv {
  const parsed = parseEnvironment(ApiEnvSchema, env, { what: 'API', crossChecks: crossVariableProblems });
  // Endpoint filters name event types, which the webhooks package knows: checked here, before anything starts.
  webhookConfigFromEnv(parsed);
  return parsed;
}

/** Rules spanning variables, checked on the raw values so they are reported alongside every other problem. */
function crossVariableProblems(env: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  const host = env.HOST ?? '127.0.0.1';
  // An admin key turns auth on too: callers then need a key made through /admin/api/keys.
  const hasKeys = (env.API_KEYS ?? '').split(',').some((key) => key.trim() !== '') || Boolean(env.ADMIN_KEY);
  if (isIP(host) === 0 && host !== 'localhost') problems.push('  HOST: must be an IP address or localhost');
  else if (!hasKeys && !LOOPBACK_HOSTS.has(host)) {
    problems.push(`  HOST: refusing to listen on ${host} without API_KEYS or ADMIN_KEY: set one or bind a loopback address`);
  }
  problems.push(...redisEnvProblems(env));
  problems.push(...storageEnvProblems(env));
  problems.push(...webhookEnvProblems(env));
  problems.push(...retentionEnvProblems(env));
  if ((env.STORAGE_DRIVER ?? 'local') === 'local' && !env.STORAGE_SIGNING_SECRET) {
    problems.push('  STORAGE_SIGNING_SECRET: required when STORAGE_DRIVER=local');
  }
  return problems;
}
