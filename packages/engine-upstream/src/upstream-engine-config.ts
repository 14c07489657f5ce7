import { z } from 'zod';
import { ModelProfileSchema, type ModelProfile } from '@imageforge/contracts';

/**
 * The `engine` object of a model registry entry relayed to an OpenAI-compatible server
 * (OpenAI, Azure OpenAI, LocalAI, another imageforge). Parsed by the worker's engine factory.
 * The key itself never appears here (the registry may live in Redis or a repository): only
 * the name of the variable that holds it.
 */
export const UpstreamEngineConfigSchema = z.strictObject({
  kind: z.literal('openai-upstream'),
  /** The upstream's API root, e.g. `https://api.openai.com/v1`; `/images/generations` etc. are appended. */
  baseUrl: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .transform((url) => url.replace(/\/+$/, '')),
  /** Model id sent upstream, e.g. `gpt-image-1` or an Azure deployment's model. */
  model: z.string().min(1),
  /** Environment variable holding the upstream key; unset or empty fails the worker at load. Absent: no key is sent (LocalAI). */
  apiKeyEnv: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')
    .optional(),
  /** Header the key goes in: `authorization` (`Bearer <key>`, OpenAI) or `api-key` (Azure OpenAI). Default `authorization`. */
  apiKeyHeader: z.enum(['authorization', 'api-key']).default('authorization'),
  /** Query parameters added to every call, e.g. `{"api-version": "2025-04-01-preview"}` for Azure. */
  query: z.record(z.string(), z.string()).optional(),
  /**
   * Which OpenAI rules the upstream model follows, deciding which parameters are sent.
   * Default: `dall-e-2` / `dall-e-3` when `model` names one, else `gpt-image`.
   */
  wireProfile: ModelProfileSchema.optional(),
  /** Requests in flight at once to this upstream (base URL + key), over every model naming it. Default: no limit beyond the worker's slots. */
  maxConcurrency: z.number().int().positive().optional(),
  /** Requests started per minute to this upstream (base URL + key), spaced evenly. Default: no limit. */
  requestsPerMinute: z.number().positive().optional(),
  /** Tries per call, the first included, on 408/429/5xx and network errors. Default 4. */
  maxAttempts: z.number().int().min(1).max(20).default(4),
  /** Most time one call spends waiting between tries (`retry-after` included) before the job is handed to the queue's retry. Default 60000. */
  maxRetryWaitMs: z.number().int().nonnegative().default(60_000),
  /** Longest one upstream request may take (a GPT image at high quality can take minutes). Default 300000. */
  requestTimeoutMs: z.number().int().positive().default(300_000),
});

export type UpstreamEngineConfig = z.infer<typeof UpstreamEngineConfigSchema>;
export type UpstreamEngineConfigInput = z.input<typeof UpstreamEngineConfigSchema>;

/** The OpenAI family whose parameters the upstream model takes. */
export function wireProfileOf(config: Pick<UpstreamEngineConfig, 'model' | 'wireProfile'>): ModelProfile {
  if (config.wireProfile) return config.wireProfile;
  if (/^dall-e-2\b/.test(config.model)) return 'dall-e-2';
  if (/^dall-e-3\b/.test(config.model)) return 'dall-e-3';
  return 'gpt-image';
}
