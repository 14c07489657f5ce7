import { parseWorkerConfig } from '../src/worker-config';

describe('the worker retention variables', () => {
  const base = { REDIS_URL: 'redis://127.0.0.1:6379' };

  it('sweeps hourly, keeps images 24 hours and deletes inputs when their job ends, by default', () => {
    expect(parseWorkerConfig(base).retention).toEqual({ sweepIntervalMs: 3_600_000, minAgeSeconds: 3_600, outputHours: 24, deleteInputsOnFinish: true });
    expect(parseWorkerConfig({ ...base, RETENTION_OUTPUT_HOURS: '72', RETENTION_DELETE_INPUTS_ON_FINISH: 'false' }).retention).toMatchObject({
      outputHours: 72,
      deleteInputsOnFinish: false,
    });
  });

  it('refuses an output retention shorter than an image link lives', () => {
    expect(() => parseWorkerConfig({ ...base, RETENTION_OUTPUT_HOURS: '0' })).toThrow(/RETENTION_OUTPUT_HOURS: must be at least 1/);
    expect(() => parseWorkerConfig({ ...base, RETENTION_OUTPUT_HOURS: '1', URL_TTL_SECONDS: '7200' })).toThrow(/RETENTION_OUTPUT_HOURS: 1 h deletes images/);
  });
});
