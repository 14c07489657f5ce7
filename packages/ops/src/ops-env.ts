import { z } from 'zod';

/** The ops variables the API and the worker both read; spread into each app's schema. */
export const opsHistoryEnvShape = {
  /**
   * Whether the API counts queued jobs and workers write per-minute and per-hour history, failure
   * samples and per-key usage to Redis for the ops dashboard. Default true; false for benchmarks without it.
   */
  OPS_HISTORY: z.enum(['true', 'false']).transform((value) => value === 'true').default(true),
};
