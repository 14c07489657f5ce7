import { z } from 'zod';

/** What a key may call: `images` (sync and async image calls), `batch` (files and batches), `read` (jobs, models). */
export const API_SCOPES = ['images', 'batch', 'read'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

/**
 * Per-key limits; an absent field falls back to the server's default for it, and a
 * default that is absent too means no limit.
 */
export const KeyLimitsSchema = z.strictObject({
  requestsPerMinute: z.number().int().positive().optional(),
  imagesPerMinute: z.number().int().positive().optional(),
  /** Jobs of this key queued or running at once. */
  concurrentJobs: z.number().int().positive().optional(),
  /** Images per UTC day. */
  dailyImages: z.number().int().positive().optional(),
});
export type KeyLimits = z.infer<typeof KeyLimitsSchema>;

/** The caller a request acts for, set by the auth middleware on `res.locals.principal`. */
export interface ApiPrincipal {
  /** sha256 hex of the presented key: the owner id jobs, files and batches carry. */
  owner: string;
  /** `key_…` for a managed key; `static` for one from API_KEYS; `anonymous` with no auth configured. */
  keyId: string;
  scopes: readonly ApiScope[];
  /** This key's overrides; the limiter merges them over the server's defaults. */
  limits: KeyLimits;
}
