import { DEFAULT_QUEUE_PREFIX, type RedisClient } from '@imageforge/queue';
import { releaseJobSlot } from './rate-limiter';

/** The part of a settled image job the release reads; any catalog's settled job with an owner fits. */
interface SettledOwnedJob {
  jobId: string;
  payload: { owner: string; batch?: unknown };
}

/**
 * Settled-job hook of image workers: a job that ended (succeeded, failed for good, cancelled
 * while running or waiting for a slot) gives its concurrency slot back. Idempotent, as hooks
 * must be; batch lines never took a slot.
 */
export function jobSlotReleaseHook(options: { redis: RedisClient; prefix?: string }): (settled: SettledOwnedJob) => Promise<void> {
  const prefix = options.prefix ?? DEFAULT_QUEUE_PREFIX;
  return async ({ jobId, payload }) => {
    if (payload.batch) return;
    await releaseJobSlot(options.redis, prefix, payload.owner, jobId);
  };
}
