import { UpstreamEngineConfigSchema, wireProfileOf } from '../src';

describe('UpstreamEngineConfigSchema', () => {
  it('fills the defaults and drops the trailing slash of the base URL', () => {
    const config = UpstreamEngineConfigSchema.parse({ kind: 'openai-upstream', baseUrl: 'https://api.openai.com/v1/', model: 'gpt-image-1', apiKeyEnv: 'UPSTREAM_OPENAI_KEY' });
    expect(config).toEqual({
      kind: 'openai-upstream',
      baseUrl: 'https://api.openai.com/v1',
      model: 'gpt-image-1',
      apiKeyEnv: 'UPSTREAM_OPENAI_KEY',
      apiKeyHeader: 'authorization',
      maxAttempts: 4,
      maxRetryWaitMs: 60_000,
      requestTimeoutMs: 300_000,
    });
  });

  it('takes Azure settings and limits', () => {
    const config = UpstreamEngineConfigSchema.parse({
      kind: 'openai-upstream',
      baseUrl: 'https://example.openai.azure.com/openai/v1',
      model: 'gpt-image-1',
      apiKeyEnv: 'AZURE_KEY',
      apiKeyHeader: 'api-key',
      query: { 'api-version': 'preview' },
      maxConcurrency: 2,
      requestsPerMinute: 30,
    });
    expect(config).toMatchObject({ apiKeyHeader: 'api-key', query: { 'api-version': 'preview' }, maxConcurrency: 2, requestsPerMinute: 30 });
  });

  it.each([
    ['a key instead of a variable name', { apiKey: 'sk-live' }],
    ['a variable name with a dash', { apiKeyEnv: 'MY-KEY' }],
    ['a base URL that is not http(s)', { baseUrl: 'ftp://example.com/v1' }],
    ['no model', { model: '' }],
    ['a zero concurrency', { maxConcurrency: 0 }],
    ['an unknown header', { apiKeyHeader: 'x-key' }],
  ])('refuses %s', (_what, change) => {
    const parsed = UpstreamEngineConfigSchema.safeParse({ kind: 'openai-upstream', baseUrl: 'http://127.0.0.1:8080/v1', model: 'gpt-image-1', ...change });
    expect(parsed.success).toBe(false);
  });

  it('infers the wire profile from the upstream model unless told', () => {
    expect(wireProfileOf({ model: 'dall-e-2' })).toBe('dall-e-2');
    expect(wireProfileOf({ model: 'dall-e-3' })).toBe('dall-e-3');
    expect(wireProfileOf({ model: 'gpt-image-1-mini' })).toBe('gpt-image');
    expect(wireProfileOf({ model: 'my-sdxl', wireProfile: 'dall-e-2' })).toBe('dall-e-2');
  });
});
