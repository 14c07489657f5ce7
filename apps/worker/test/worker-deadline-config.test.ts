import { parseWorkerConfig } from '../src/worker-config';

describe('the worker deadline variables', () => {
  it('stamps no deadline on batch lines unless told, and reads the same variables as the API', () => {
    expect(parseWorkerConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }).deadlines).toEqual({ queueWaitMs: { interactive: undefined, async: undefined, batch: undefined }, runMs: undefined });
    const config = parseWorkerConfig({ REDIS_URL: 'redis://127.0.0.1:6379', DEADLINE_QUEUE_WAIT_MS_BATCH: '3600000', DEADLINE_RUN_MS: '120000' });
    expect(config.deadlines).toEqual({ queueWaitMs: { interactive: undefined, async: undefined, batch: 3_600_000 }, runMs: 120_000 });
    expect(() => parseWorkerConfig({ REDIS_URL: 'redis://127.0.0.1:6379', DEADLINE_RUN_MS: 'soon' })).toThrow(/DEADLINE_RUN_MS/);
  });
});
