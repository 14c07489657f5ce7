import { DEFAULT_RETRY_SCHEDULE_MS, MAX_RETRY_AFTER_MS, parseRetryAfter, retryDelayMs, webhookBackoffStrategy, WebhookRetryError } from '../src';

describe('retry schedule and Retry-After', () => {
  it('follows Standard Webhooks’ schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, then gives up', () => {
    const middle = () => 0.5;
    const delays = [1, 2, 3, 4, 5, 6, 7].map((attemptsMade) => retryDelayMs(DEFAULT_RETRY_SCHEDULE_MS, attemptsMade, undefined, middle));
    expect(delays).toEqual([5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    expect(retryDelayMs(DEFAULT_RETRY_SCHEDULE_MS, 8, undefined, middle)).toBeUndefined();
  });

  it('jitters each delay by up to a tenth either way', () => {
    expect(retryDelayMs([10_000], 1, undefined, () => 0)).toBe(9_000);
    expect(retryDelayMs([10_000], 1, undefined, () => 0.999_999)).toBe(11_000);
    const seen = new Set(Array.from({ length: 50 }, () => retryDelayMs([10_000], 1, undefined)));
    expect(seen.size).toBeGreaterThan(1);
    for (const delay of seen) expect(delay).toBeGreaterThanOrEqual(9_000);
  });

  it('never retries sooner than Retry-After, but does not shorten a longer scheduled wait', () => {
    expect(retryDelayMs([5_000], 1, 60_000, () => 0.5)).toBe(60_000);
    expect(retryDelayMs([5_000], 1, 1_000, () => 0.5)).toBe(5_000);
  });

  it('reads Retry-After as seconds or as an HTTP date, capped, and ignores what it cannot read', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:01:30 GMT', now)).toBe(90_000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(String(10 * 24 * 3600), now)).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it('backs off by the delay the handler chose, else by the schedule, and stops past its end', () => {
    const strategy = webhookBackoffStrategy([1_000, 2_000]);
    expect(strategy(1, new WebhookRetryError('answered 503', 42_000))).toBe(42_000);
    const fallback = strategy(2, new Error('redis went away'));
    expect(fallback).toBeGreaterThanOrEqual(1_800);
    expect(fallback).toBeLessThanOrEqual(2_200);
    expect(strategy(3, new Error('again'))).toBe(-1);
  });
});
