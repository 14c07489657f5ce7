import { uniqueQueueName } from '@imageforge/testing';
import { useRedisConnections } from './redis-connections';
import { jobSlotReleaseHook, limitKeys, openaiDuration, RateLimiter, type RateLimiterOptions } from '../src';

const MINUTE = 60_000;
const DAY = 86_400_000;
/** A UTC midnight plus ten hours, so a day's arithmetic has room on both sides. */
const T0 = 20_000 * DAY + 10 * 3_600_000;

describe(RateLimiter.name, () => {
  const { connect } = useRedisConnections();
  let now = T0;
  let prefix = '';
  const limiter = (options: Partial<RateLimiterOptions> = {}) => new RateLimiter({ redis: connect(), prefix, now: () => now, ...options });
  beforeEach(() => {
    now = T0;
    prefix = uniqueQueueName('limits');
  });

  describe('requests per minute', () => {
    it('lets a whole minute of requests through at once, then one per limit/60 s, in every process', async () => {
      const [one, two] = [limiter(), limiter()];
      const limits = { requestsPerMinute: 3 };
      const first = await one.checkRequest('owner', limits);
      expect(first).toMatchObject({ used: 1, requests: { limit: 3, remaining: 2, resetMs: 20_000 } });
      expect(first?.headers).toEqual({ 'x-ratelimit-limit-requests': '3', 'x-ratelimit-remaining-requests': '2', 'x-ratelimit-reset-requests': '20s' });
      expect((await two.checkRequest('owner', limits))?.requests.remaining).toBe(1);
      expect((await one.checkRequest('owner', limits))?.requests).toEqual({ limit: 3, remaining: 0, resetMs: MINUTE });

      const refused = await two.checkRequest('owner', limits);
      expect(refused).toMatchObject({ used: 3, retryAfterMs: 20_000, requests: { remaining: 0, resetMs: MINUTE } });
      expect(refused?.refusal?.toBody()).toEqual({
        error: {
          message: 'Rate limit reached for requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.',
          type: 'requests',
          param: null,
          code: 'rate_limit_exceeded',
        },
      });
      expect(refused?.refusal?.status).toBe(429);
      expect(refused?.headers).toMatchObject({ 'retry-after': '20', 'retry-after-ms': '20000', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '1m0s' });

      now = T0 + 19_999;
      expect((await one.checkRequest('owner', limits))?.retryAfterMs).toBe(1);
      now = T0 + 20_000;
      expect((await one.checkRequest('owner', limits))?.refusal).toBeUndefined();
      // Another key has its own window.
      expect((await one.checkRequest('other', limits))?.requests.remaining).toBe(2);
    });

    it('refills the whole window after a minute idle, and keeps nothing for an idle key', async () => {
      const check = limiter();
      const limits = { requestsPerMinute: 2 };
      await check.checkRequest('owner', limits);
      await check.checkRequest('owner', limits);
      now = T0 + 10 * MINUTE;
      expect((await check.checkRequest('owner', limits))?.requests).toEqual({ limit: 2, remaining: 1, resetMs: 30_000 });
      const ttl = await connect().pttl(limitKeys(prefix, 'owner').requests);
      expect(ttl).toBeGreaterThan(30_000);
      expect(ttl).toBeLessThanOrEqual(31_000);
    });

    it('asks nothing of Redis for a key without a request limit', async () => {
      expect(await limiter().checkRequest('owner', {})).toBeUndefined();
      expect(await connect().exists(limitKeys(prefix, 'owner').requests)).toBe(0);
    });

    it("counts on Redis's own clock when given none", async () => {
      const check = limiter({ now: undefined });
      expect((await check.checkRequest('owner', { requestsPerMinute: 1 }))?.refusal).toBeUndefined();
      const refused = await check.checkRequest('owner', { requestsPerMinute: 1 });
      expect(refused?.refusal).toBeDefined();
      expect(refused?.retryAfterMs).toBeGreaterThan(0);
      expect(refused?.retryAfterMs).toBeLessThanOrEqual(MINUTE);
    });
  });

  describe('images per minute', () => {
    it("counts each job's n, and refuses one that does not fit with when it would", async () => {
      const check = limiter();
      const limits = { imagesPerMinute: 4 };
      const first = await check.admitJob('owner', limits, { jobId: 'a', images: 3 });
      expect(first).toMatchObject({ verdict: 'ok', images: { limit: 4, remaining: 1, resetMs: 45_000 } });
      expect(first?.headers).toEqual({ 'x-ratelimit-limit-images': '4', 'x-ratelimit-remaining-images': '1', 'x-ratelimit-reset-images': '45s' });

      const refused = await check.admitJob('owner', limits, { jobId: 'b', images: 2 });
      expect(refused).toMatchObject({ verdict: 'images', retryAfterMs: 15_000, images: { remaining: 0, resetMs: 45_000 } });
      expect(refused?.refusal?.toBody().error).toEqual({
        message: 'Rate limit reached for images per min (IPM): Limit 4, Used 3, Requested 2. Please try again in 15s.',
        type: 'images',
        param: null,
        code: 'rate_limit_exceeded',
      });
      expect(refused?.headers).toMatchObject({ 'retry-after': '15', 'retry-after-ms': '15000' });
      expect((await check.admitJob('owner', limits, { jobId: 'c', images: 1 }))?.images?.remaining).toBe(0);
    });

    it('refuses more images than a minute allows for good, without counting them', async () => {
      const check = limiter();
      const refused = await check.admitJob('owner', { imagesPerMinute: 4 }, { jobId: 'a', images: 5 });
      expect(refused?.verdict).toBe('too_large');
      expect(refused?.refusal?.headers).toEqual({ 'x-should-retry': 'false' });
      expect(refused?.refusal?.param).toBe('n');
      expect(await connect().exists(limitKeys(prefix, 'owner').images)).toBe(0);
    });
  });

  describe('daily images', () => {
    it('counts images per UTC day and answers a spent quota as OpenAI does', async () => {
      const check = limiter();
      const limits = { dailyImages: 5 };
      expect(await check.admitJob('owner', limits, { jobId: 'a', images: 3 })).toMatchObject({ verdict: 'ok', imagesToday: 3, headers: {} });
      const refused = await check.admitJob('owner', limits, { jobId: 'b', images: 3 });
      expect(refused).toMatchObject({ verdict: 'quota', imagesToday: 3 });
      expect(refused?.refusal?.toBody().error).toEqual({
        message: 'You exceeded your current quota, please check your plan and billing details.',
        type: 'insufficient_quota',
        param: null,
        code: 'insufficient_quota',
      });
      expect(refused?.refusal?.headers).toEqual({ 'x-should-retry': 'false' });
      expect(await check.admitJob('owner', limits, { jobId: 'c', images: 2 })).toMatchObject({ verdict: 'ok', imagesToday: 5 });

      now = T0 + 14 * 3_600_000 - 1;
      expect((await check.admitJob('owner', limits, { jobId: 'd', images: 1 }))?.verdict).toBe('quota');
      now = T0 + 14 * 3_600_000;
      expect(await check.admitJob('owner', limits, { jobId: 'e', images: 3 })).toMatchObject({ verdict: 'ok', imagesToday: 3 });
    });

    it('spends nothing of any limit when one of them refuses', async () => {
      const check = limiter();
      const limits = { imagesPerMinute: 10, dailyImages: 4, concurrentJobs: 5 };
      expect((await check.admitJob('owner', limits, { jobId: 'a', images: 3 }))?.verdict).toBe('ok');
      expect((await check.admitJob('owner', limits, { jobId: 'b', images: 2 }))?.verdict).toBe('quota');
      const next = await check.admitJob('owner', limits, { jobId: 'c', images: 1 });
      expect(next).toMatchObject({ verdict: 'ok', images: { remaining: 6 }, imagesToday: 4, jobSlots: 2 });
    });
  });

  describe('concurrent jobs', () => {
    it('holds a slot per job until it is released, and counts a job admitted twice once', async () => {
      const check = limiter();
      const limits = { concurrentJobs: 2 };
      expect(await check.admitJob('owner', limits, { jobId: 'a', images: 1 })).toMatchObject({ verdict: 'ok', jobSlots: 1 });
      expect(await check.admitJob('owner', limits, { jobId: 'b', images: 1 })).toMatchObject({ verdict: 'ok', jobSlots: 2 });
      expect(await check.admitJob('owner', limits, { jobId: 'b', images: 1 })).toMatchObject({ verdict: 'ok', jobSlots: 2 });
      const refused = await check.admitJob('owner', limits, { jobId: 'c', images: 1 });
      expect(refused).toMatchObject({ verdict: 'jobs', jobSlots: 2 });
      expect(refused?.refusal?.toBody().error).toMatchObject({ type: 'jobs', code: 'rate_limit_exceeded' });
      expect(refused?.refusal?.message).toContain('Limit 2, Used 2');

      await check.releaseJob('owner', 'a');
      expect(await check.admitJob('owner', limits, { jobId: 'c', images: 1 })).toMatchObject({ verdict: 'ok', jobSlots: 2 });
    });

    it('lets a slot nobody released lapse at the end of its lease', async () => {
      const check = limiter({ jobLeaseMs: 10 * MINUTE });
      const limits = { concurrentJobs: 1 };
      await check.admitJob('owner', limits, { jobId: 'lost', images: 1 });
      now = T0 + 10 * MINUTE - 1;
      expect((await check.admitJob('owner', limits, { jobId: 'next', images: 1 }))?.verdict).toBe('jobs');
      now = T0 + 10 * MINUTE;
      expect(await check.admitJob('owner', limits, { jobId: 'next', images: 1 })).toMatchObject({ verdict: 'ok', jobSlots: 1 });
    });

    it("is released by the workers' settled hook, which leaves batch lines alone", async () => {
      const check = limiter();
      const limits = { concurrentJobs: 1 };
      const release = jobSlotReleaseHook({ redis: connect(), prefix });
      await check.admitJob('owner', limits, { jobId: 'a', images: 1 });
      await release({ jobId: 'a', payload: { owner: 'owner', batch: { id: 'batch_1' } } });
      expect((await check.admitJob('owner', limits, { jobId: 'b', images: 1 }))?.verdict).toBe('jobs');
      await release({ jobId: 'a', payload: { owner: 'owner' } });
      await release({ jobId: 'a', payload: { owner: 'owner' } });
      expect((await check.admitJob('owner', limits, { jobId: 'b', images: 1 }))?.verdict).toBe('ok');
    });
  });

  it("merges a key's own limits over the server's defaults", () => {
    const check = limiter({ defaults: { requestsPerMinute: 60, dailyImages: 100 } });
    expect(check.limitsFor({})).toEqual({ requestsPerMinute: 60, dailyImages: 100 });
    expect(check.limitsFor({ requestsPerMinute: 5, concurrentJobs: 2 })).toEqual({ requestsPerMinute: 5, dailyImages: 100, concurrentJobs: 2 });
  });
});

describe(openaiDuration.name, () => {
  it.each([
    [0, '0s'],
    [20, '20ms'],
    [19.2, '20ms'],
    [1_000, '1s'],
    [8_640, '8.64s'],
    [60_000, '1m0s'],
    [360_000, '6m0s'],
    [3_723_000, '1h2m3s'],
    [86_400_000, '24h0m0s'],
  ])('%d ms reads %s', (ms, text) => {
    expect(openaiDuration(ms)).toBe(text);
  });
});
