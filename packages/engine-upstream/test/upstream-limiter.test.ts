import { EngineAbortedError } from '@imageforge/engine-core';
import { backoffMs, retryAfterMs, shouldRetry, UpstreamLimiter, UpstreamLimiterRegistry, type LimiterClock } from '../src';

/** A clock whose sleeps move time forward at once, recording what was asked. */
function manualClock(start = 1_000_000): LimiterClock & { sleeps: number[]; time: number } {
  const clock = {
    time: start,
    sleeps: [] as number[],
    now: () => clock.time,
    sleep: async (ms: number, signal: AbortSignal) => {
      if (signal.aborted) throw new EngineAbortedError();
      clock.sleeps.push(ms);
      clock.time += ms;
    },
  };
  return clock;
}

const signal = () => new AbortController().signal;

describe(UpstreamLimiter.name, () => {
  it('spaces request starts 60000/rpm ms apart', async () => {
    const clock = manualClock();
    const limiter = new UpstreamLimiter({ requestsPerMinute: 120 }, clock);
    const starts: number[] = [];
    for (let i = 0; i < 4; i++) {
      const release = await limiter.acquire(signal());
      starts.push(clock.now());
      release();
    }
    expect(starts.map((at) => at - starts[0]!)).toEqual([0, 500, 1000, 1500]);
  });

  it('starts at once while the spacing has already passed', async () => {
    const clock = manualClock();
    const limiter = new UpstreamLimiter({ requestsPerMinute: 60 }, clock);
    (await limiter.acquire(signal()))();
    clock.time += 5_000;
    (await limiter.acquire(signal()))();
    expect(clock.sleeps).toEqual([]);
  });

  it('holds every caller off until a 429 says', async () => {
    const clock = manualClock();
    const limiter = new UpstreamLimiter({}, clock);
    limiter.holdOff(clock.now() + 2_500);
    (await limiter.acquire(signal()))();
    expect(clock.sleeps).toEqual([2_500]);
  });

  it('lets maxConcurrency callers in and hands each freed slot to the next in line', async () => {
    const limiter = new UpstreamLimiter({ maxConcurrency: 2 }, manualClock());
    const first = await limiter.acquire(signal());
    const second = await limiter.acquire(signal());
    const order: string[] = [];
    const third = limiter.acquire(signal()).then((release) => (order.push('third'), release));
    const fourth = limiter.acquire(signal()).then((release) => (order.push('fourth'), release));
    await Promise.resolve();
    expect(limiter.load()).toEqual({ active: 2, waiting: 2 });
    first();
    first();
    (await third)();
    expect(limiter.load()).toEqual({ active: 2, waiting: 0 });
    second();
    (await fourth)();
    expect(order).toEqual(['third', 'fourth']);
    expect(limiter.load()).toEqual({ active: 0, waiting: 0 });
  });

  it('drops a caller whose signal aborts while it waits for a slot', async () => {
    const limiter = new UpstreamLimiter({ maxConcurrency: 1 }, manualClock());
    const held = await limiter.acquire(signal());
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal);
    controller.abort();
    await expect(waiting).rejects.toBeInstanceOf(EngineAbortedError);
    expect(limiter.load()).toEqual({ active: 1, waiting: 0 });
    held();
    expect(limiter.load()).toEqual({ active: 0, waiting: 0 });
  });
});

describe(UpstreamLimiterRegistry.name, () => {
  it('shares one limiter per base URL and key, and keeps limits of entries that name them once', () => {
    const registry = new UpstreamLimiterRegistry(manualClock());
    const a = registry.acquire('https://api.example/v1', 'sk-1', { maxConcurrency: 3 });
    const b = registry.acquire('https://api.example/v1', 'sk-1', {});
    const other = registry.acquire('https://api.example/v1', 'sk-2', { maxConcurrency: 3 });
    expect(b).toBe(a);
    expect(other).not.toBe(a);
    expect(a.limits).toEqual({ maxConcurrency: 3 });
  });

  it('refuses two entries of one upstream with different limits', () => {
    const registry = new UpstreamLimiterRegistry(manualClock());
    registry.acquire('https://api.example/v1', 'sk-1', { maxConcurrency: 3 });
    expect(() => registry.acquire('https://api.example/v1', 'sk-1', { maxConcurrency: 4 })).toThrow(/maxConcurrency to both 3 and 4/);
  });

  it('forgets an upstream once its last engine released it', () => {
    const registry = new UpstreamLimiterRegistry(manualClock());
    const first = registry.acquire('https://api.example/v1', undefined, { requestsPerMinute: 10 });
    registry.release('https://api.example/v1', undefined);
    expect(registry.acquire('https://api.example/v1', undefined, { requestsPerMinute: 20 })).not.toBe(first);
  });
});

describe('retry decisions', () => {
  it('reads retry-after-ms first, then retry-after in seconds or as a date', () => {
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '250', 'retry-after': '9' }))).toBe(250);
    expect(retryAfterMs(new Headers({ 'retry-after': '2' }))).toBe(2_000);
    expect(retryAfterMs(new Headers({ 'retry-after': new Date(10_000).toUTCString() }), 7_000)).toBe(3_000);
    expect(retryAfterMs(new Headers({ 'retry-after': 'soon' }))).toBeUndefined();
    expect(retryAfterMs(new Headers())).toBeUndefined();
  });

  it('tries 408, 409, 429 and 5xx again, other 4xx never, and follows x-should-retry', () => {
    expect([400, 404, 408, 409, 422, 429, 500, 503].filter((status) => shouldRetry(status, new Headers()))).toEqual([408, 409, 429, 500, 503]);
    expect(shouldRetry(500, new Headers({ 'x-should-retry': 'false' }))).toBe(false);
    expect(shouldRetry(400, new Headers({ 'x-should-retry': 'true' }))).toBe(true);
  });

  it('backs off exponentially from 0.5 s to 8 s with up to a quarter of jitter', () => {
    expect([1, 2, 3, 4, 5, 6].map((attempt) => backoffMs(attempt, () => 0))).toEqual([500, 1000, 2000, 4000, 8000, 8000]);
    expect(backoffMs(1, () => 0.999)).toBeGreaterThan(375);
  });
});
