import { parseApiEnv } from '../src/api-config';

describe(parseApiEnv.name, () => {
  const base = { REDIS_URL: 'redis://127.0.0.1:6379', STORAGE_SIGNING_SECRET: 'a-long-enough-secret' };

  it('defaults to port 8080 on loopback with local storage', () => {
    expect(parseApiEnv(base)).toMatchObject({ PORT: 8080, HOST: '127.0.0.1', STORAGE_DRIVER: 'local', API_KEYS: [] });
  });

  it('refuses a public bind address when no API keys are configured', () => {
    expect(() => parseApiEnv({ ...base, HOST: '0.0.0.0' })).toThrow(/HOST: refusing to listen on 0\.0\.0\.0 without API_KEYS/);
    expect(parseApiEnv({ ...base, HOST: '0.0.0.0', API_KEYS: 'k1, k2' }).API_KEYS).toEqual(['k1', 'k2']);
  });

  it('accepts a public bind address with only an admin key, since callers then need managed keys', () => {
    expect(parseApiEnv({ ...base, HOST: '0.0.0.0', ADMIN_KEY: 'admin-key-0123456789' }).HOST).toBe('0.0.0.0');
  });

  it('reports every bad variable at once', () => {
    let message = '';
    try {
      parseApiEnv({ REDIS_URL: 'not a url', PORT: 'eighty', STORAGE_DRIVER: 's3', LOG_LEVEL: 'loud' });
    } catch (error) {
      message = (error as Error).message;
    }
    for (const key of ['REDIS_URL', 'PORT', 'LOG_LEVEL', 'S3_BUCKET']) expect(message).toContain(`${key}:`);
  });

  it('reads rate limit defaults as whole positive numbers, unset meaning unlimited', () => {
    const unset = parseApiEnv(base);
    expect([unset.RATE_LIMIT_REQUESTS_PER_MINUTE, unset.RATE_LIMIT_IMAGES_PER_MINUTE, unset.RATE_LIMIT_CONCURRENT_JOBS, unset.QUOTA_DAILY_IMAGES]).toEqual([undefined, undefined, undefined, undefined]);
    const env = parseApiEnv({ ...base, RATE_LIMIT_REQUESTS_PER_MINUTE: '600', RATE_LIMIT_IMAGES_PER_MINUTE: '50', RATE_LIMIT_CONCURRENT_JOBS: '4', QUOTA_DAILY_IMAGES: '1000' });
    expect(env).toMatchObject({ RATE_LIMIT_REQUESTS_PER_MINUTE: 600, RATE_LIMIT_IMAGES_PER_MINUTE: 50, RATE_LIMIT_CONCURRENT_JOBS: 4, QUOTA_DAILY_IMAGES: 1000 });
    expect(() => parseApiEnv({ ...base, RATE_LIMIT_CONCURRENT_JOBS: '0' })).toThrow(/RATE_LIMIT_CONCURRENT_JOBS:/);
    expect(() => parseApiEnv({ ...base, QUOTA_DAILY_IMAGES: '2.5' })).toThrow(/QUOTA_DAILY_IMAGES:/);
  });

  it('treats empty variables as unset', () => {
    const env = parseApiEnv({ ...base, ADMIN_KEY: '', PORT: '' });
    expect(env.PORT).toBe(8080);
    expect(env.ADMIN_KEY).toBeUndefined();
  });
});
