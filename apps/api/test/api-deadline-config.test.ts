import { deadlineDefaultsFromEnv } from '@imageforge/env-config';
import { parseApiEnv } from '../src/api-config';
import { queueWaitMsFrom } from '../src/routes/deadline-header';

describe('deadline and abandoned-call variables', () => {
  const base = { REDIS_URL: 'redis://127.0.0.1:6379', STORAGE_SIGNING_SECRET: 'a-long-enough-secret' };

  it('cancels abandoned sync jobs and sets no deadline unless told otherwise', () => {
    const env = parseApiEnv(base);
    expect(env.CANCEL_ABANDONED_SYNC_JOBS).toBe(true);
    expect(deadlineDefaultsFromEnv(env)).toEqual({ queueWaitMs: { interactive: undefined, async: undefined, batch: undefined }, runMs: undefined });
    expect(parseApiEnv({ ...base, CANCEL_ABANDONED_SYNC_JOBS: 'false' }).CANCEL_ABANDONED_SYNC_JOBS).toBe(false);
  });

  it('reads a queue wait per lane and one run limit', () => {
    const vars = { DEADLINE_QUEUE_WAIT_MS_INTERACTIVE: '5000', DEADLINE_QUEUE_WAIT_MS_BATCH: '3600000', DEADLINE_RUN_MS: '120000' };
    expect(deadlineDefaultsFromEnv(parseApiEnv({ ...base, ...vars }))).toEqual({ queueWaitMs: { interactive: 5_000, async: undefined, batch: 3_600_000 }, runMs: 120_000 });
  });

  it('refuses deadlines that are not whole positive milliseconds of at most a week', () => {
    expect(() => parseApiEnv({ ...base, DEADLINE_RUN_MS: '0' })).toThrow(/DEADLINE_RUN_MS/);
    expect(() => parseApiEnv({ ...base, DEADLINE_QUEUE_WAIT_MS_ASYNC: '1.5' })).toThrow(/DEADLINE_QUEUE_WAIT_MS_ASYNC/);
    expect(() => parseApiEnv({ ...base, DEADLINE_QUEUE_WAIT_MS_ASYNC: String(8 * 24 * 3600 * 1000) })).toThrow(/DEADLINE_QUEUE_WAIT_MS_ASYNC/);
    expect(() => parseApiEnv({ ...base, CANCEL_ABANDONED_SYNC_JOBS: 'yes' })).toThrow(/CANCEL_ABANDONED_SYNC_JOBS/);
  });
});

describe(queueWaitMsFrom.name, () => {
  it('reads whole milliseconds and refuses anything else as the caller’s mistake', () => {
    expect(queueWaitMsFrom(undefined)).toBeUndefined();
    expect(queueWaitMsFrom('250')).toBe(250);
    for (const bad of ['0', '-5', '1.5', 'soon', '', String(8 * 24 * 3600 * 1000)]) {
      expect(() => queueWaitMsFrom(bad)).toThrow(expect.objectContaining({ status: 400, code: 'invalid_deadline' }));
    }
  });
});
