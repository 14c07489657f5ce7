import { parseApiEnv } from '../src/api-config';

describe('the API retention variables', () => {
  const base = { REDIS_URL: 'redis://127.0.0.1:6379', STORAGE_SIGNING_SECRET: 'a-long-enough-secret' };

  it('keeps images 24 hours and deletes inputs when their job ends, unless told otherwise', () => {
    expect(parseApiEnv(base)).toMatchObject({ RETENTION_OUTPUT_HOURS: 24, RETENTION_DELETE_INPUTS_ON_FINISH: true });
    expect(parseApiEnv({ ...base, RETENTION_OUTPUT_HOURS: '1.5', RETENTION_DELETE_INPUTS_ON_FINISH: 'false' })).toMatchObject({
      RETENTION_OUTPUT_HOURS: 1.5,
      RETENTION_DELETE_INPUTS_ON_FINISH: false,
    });
  });

  it('refuses to delete images before the 60-minute links to them expire, or before a longer URL_TTL_SECONDS', () => {
    expect(() => parseApiEnv({ ...base, RETENTION_OUTPUT_HOURS: '0.5' })).toThrow(/RETENTION_OUTPUT_HOURS: must be at least 1: image links last 60 minutes/);
    expect(() => parseApiEnv({ ...base, RETENTION_OUTPUT_HOURS: '2', URL_TTL_SECONDS: '10800' })).toThrow(
      /RETENTION_OUTPUT_HOURS: 2 h deletes images before their links \(URL_TTL_SECONDS=10800\) expire/,
    );
    expect(parseApiEnv({ ...base, RETENTION_OUTPUT_HOURS: '3', URL_TTL_SECONDS: '10800' }).RETENTION_OUTPUT_HOURS).toBe(3);
    expect(() => parseApiEnv({ ...base, RETENTION_DELETE_INPUTS_ON_FINISH: 'yes' })).toThrow(/RETENTION_DELETE_INPUTS_ON_FINISH/);
  });
});
