import type { JobBackoffStrategy } from '@imageforge/queue';

/** A receiver's Retry-After is honoured up to this; beyond it the schedule's own pace applies again. */
export const MAX_RETRY_AFTER_MS = 24 * 3600 * 1000;

/** Delays vary by up to this fraction either way, so receivers that failed together are not retried together. */
const JITTER = 0.1;

/**
 * A failed attempt that will be tried again, carrying when: the delivery handler works
 * the delay out (schedule, jitter, Retry-After) and the worker's backoff strategy uses it.
 */
export class WebhookRetryError extends Error {
  override readonly name = 'WebhookRetryError';

  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
  }
}

/** Retry-After in seconds or as an HTTP date, as milliseconds from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, MAX_RETRY_AFTER_MS);
  // An HTTP date names its day and month; Date.parse alone would read '-5' as a year.
  const at = /[A-Za-z]/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, at - now), MAX_RETRY_AFTER_MS);
}

/**
 * The wait before the attempt after `attemptsMade` ones, or undefined once the schedule
 * is spent. `random` returns [0, 1), for the jitter.
 */
export function retryDelayMs(
  schedule: readonly number[],
  attemptsMade: number,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number | undefined {
  const base = schedule[attemptsMade - 1];
  if (base === undefined) return undefined;
  const jittered = Math.round(base * (1 - JITTER + 2 * JITTER * random()));
  return Math.max(jittered, retryAfterMs ?? 0);
}

/** The worker's strategy for `webhook.deliver`: the handler's delay when it gave one, else the schedule's. */
export function webhookBackoffStrategy(schedule: readonly number[]): JobBackoffStrategy {
  return (attemptsMade, error) => {
    if (error instanceof WebhookRetryError) return error.delayMs;
    return retryDelayMs(schedule, attemptsMade, undefined) ?? -1;
  };
}
