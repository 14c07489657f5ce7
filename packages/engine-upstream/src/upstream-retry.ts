/**
 * When to try an upstream call again, as openai-node decides for its own retries: the
 * server's `retry-after-ms`, else `retry-after` (seconds or an HTTP date), else an
 * exponential backoff from 0.5 s to 8 s with up to 25 % jitter.
 */

const INITIAL_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 8_000;

/** Statuses worth another try: a timeout, a rate limit, and the server's own faults. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** `x-should-retry` overrides the status, as it does for the SDK: `false` from an imageforge means the job exists upstream. */
export function shouldRetry(status: number, headers: Headers): boolean {
  const said = headers.get('x-should-retry');
  if (said === 'true') return true;
  if (said === 'false') return false;
  return isRetryableStatus(status);
}

/** Milliseconds the server asked for, or undefined when it named none (or nonsense). */
export function retryAfterMs(headers: Headers, now: number = Date.now()): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '') {
    const value = Number(ms);
    if (Number.isFinite(value) && value >= 0) return value;
  }
  const after = headers.get('retry-after');
  if (after === null || after.trim() === '') return undefined;
  const seconds = Number(after);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const date = Date.parse(after);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Backoff before try `attempt + 1` when the server named no wait; `random` in [0, 1). */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(MAX_BACKOFF_MS, INITIAL_BACKOFF_MS * 2 ** Math.max(0, attempt - 1));
  return base * (1 - 0.25 * random());
}
