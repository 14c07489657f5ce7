import { ForwardedApiError, InternalError } from '@imageforge/contracts';
import { encodeImage, EngineAbortedError, type GenerateRequest } from '@imageforge/engine-core';
import { describeImageEngineContract, leftHalfTransparentMask, patternImage } from '@imageforge/engine-core/testing';
import { UpstreamEngineConfigSchema, UpstreamImageEngine, UpstreamLimiterRegistry, type UpstreamEngineConfigInput } from '../src';
import { UpstreamTestServer } from './upstream-test-server';

const KEY = 'sk-upstream-test';
const server = new UpstreamTestServer();
beforeAll(() => server.start());
afterAll(() => server.close());

function engine(config: Partial<UpstreamEngineConfigInput> = {}, env: Record<string, string> = { TEST_UPSTREAM_KEY: KEY }) {
  return new UpstreamImageEngine({
    config: UpstreamEngineConfigSchema.parse({ kind: 'openai-upstream', baseUrl: `${server.url}/v1`, model: 'gpt-image-1', apiKeyEnv: 'TEST_UPSTREAM_KEY', ...config }),
    env,
    limiters: new UpstreamLimiterRegistry(),
  });
}

const request: GenerateRequest = { model: 'relay', prompt: 'a kite', n: 1, width: 64, height: 48, quality: 'low', background: 'opaque', seed: 1, output: { format: 'png' } };
const run = () => ({ signal: new AbortController().signal });

describeImageEngineContract('UpstreamImageEngine', async () => engine(), { width: 64, height: 48 });

describe(UpstreamImageEngine.name, () => {
  beforeEach(() => {
    server.seen.length = 0;
    server.next = [];
    server.extra = {};
  });

  it('refuses to load while the key variable is unset', async () => {
    await expect(engine({}, {}).load()).rejects.toThrow(/environment variable TEST_UPSTREAM_KEY .* is not set/);
  });

  it('sends GPT image parameters in their wire names and no response_format, with the key as a bearer token', async () => {
    const relay = engine();
    await relay.load();
    await relay.generate({ ...request, output: { format: 'webp', compression: 70 }, moderation: 'low', user: 'u-1' }, run());
    expect(server.seen[0]).toMatchObject({ path: '/v1/images/generations', headers: { authorization: `Bearer ${KEY}` } });
    expect(server.seen[0]!.fields).toEqual({ model: 'gpt-image-1', prompt: 'a kite', n: '1', size: '64x48', quality: 'low', background: 'opaque', output_format: 'webp', output_compression: '70', moderation: 'low', user: 'u-1' });
  });

  it('asks dall-e models for b64_json and sends only their parameters', async () => {
    const relay = engine({ model: 'dall-e-3' });
    await relay.load();
    await relay.generate({ ...request, quality: 'hd', style: 'natural', background: 'opaque' }, run());
    expect(server.seen[0]!.fields).toEqual({ model: 'dall-e-3', prompt: 'a kite', n: '1', size: '64x48', response_format: 'b64_json', quality: 'hd', style: 'natural' });
  });

  it('sends edits as multipart with image[] and mask, and variations with one image', async () => {
    const relay = engine();
    await relay.load();
    const image = patternImage(64, 48, 0);
    await relay.edit({ ...request, images: [image, image], mask: leftHalfTransparentMask(64, 48), inputFidelity: 'high' }, run());
    expect(server.seen[0]).toMatchObject({ path: '/v1/images/edits', files: ['image[]', 'image[]', 'mask'] });
    expect(server.seen[0]!.fields.input_fidelity).toBe('high');
    const dalle = engine({ model: 'dall-e-2' });
    await dalle.load();
    await dalle.variation({ ...request, image }, run());
    expect(server.seen[1]).toMatchObject({ path: '/v1/images/variations', files: ['image'], fields: { model: 'dall-e-2', n: '1', size: '64x48', response_format: 'b64_json' } });
  });

  it('passes revised_prompt and usage through', async () => {
    const usage = { input_tokens: 11, output_tokens: 22, total_tokens: 33, input_tokens_details: { text_tokens: 11, image_tokens: 0 } };
    server.next = [{ status: 200, body: { created: 1, data: [{ b64_json: (await pngOf(64, 48)).toString('base64'), revised_prompt: 'a red kite over a hill' }], usage } }];
    const relay = engine();
    await relay.load();
    const result = await relay.generate(request, run());
    expect(result.revisedPrompt).toBe('a red kite over a hill');
    expect(result.usage).toEqual(usage);
    expect(result.images[0]).toMatchObject({ kind: 'encoded', format: 'png', width: 64, height: 48 });
  });

  it('puts the key in api-key and adds the query for Azure', async () => {
    const relay = engine({ apiKeyHeader: 'api-key', query: { 'api-version': '2025-04-01-preview' } });
    await relay.load();
    await relay.generate(request, run());
    expect(server.seen[0]!.path).toBe('/v1/images/generations?api-version=2025-04-01-preview');
    expect(server.seen[0]!.headers['api-key']).toBe(KEY);
    expect(server.seen[0]!.headers.authorization).toBeUndefined();
  });

  it("throws an upstream 4xx as the upstream's own error, and a 401 as our server error", async () => {
    const relay = engine();
    await relay.load();
    server.next = [{ status: 422, body: { error: { message: 'bad size', type: 'invalid_request_error', param: 'size', code: 'invalid_size' } } }];
    const error = await relay.generate(request, run()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ForwardedApiError);
    expect((error as ForwardedApiError).status).toBe(422);
    expect((error as ForwardedApiError).toBody()).toEqual({ error: { message: 'bad size', type: 'invalid_request_error', param: 'size', code: 'invalid_size' } });
    server.next = [{ status: 401, body: { error: { message: 'Incorrect API key provided', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } } }];
    await expect(relay.generate(request, run())).rejects.toBeInstanceOf(InternalError);
    expect(server.seen).toHaveLength(2);
  });

  it('gives up with a plain error (for the queue to retry) once the tries run out', async () => {
    const relay = engine({ maxAttempts: 2 });
    await relay.load();
    server.next = [0, 1].map(() => ({ status: 503, body: { error: { message: 'overloaded', type: 'server_error', param: null, code: null } }, headers: { 'retry-after-ms': '10' } }));
    const error = await relay.generate(request, run()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(ForwardedApiError);
    expect((error as Error).message).toMatch(/after 2 tries: 503 overloaded/);
  });

  it('stops waiting out a retry-after when its signal aborts', async () => {
    const relay = engine();
    await relay.load();
    server.next = [{ status: 429, body: { error: { message: 'slow down', type: 'requests', param: null, code: null } }, headers: { 'retry-after': '30' } }];
    const controller = new AbortController();
    const pending = relay.generate(request, { signal: controller.signal });
    while (server.seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toBeInstanceOf(EngineAbortedError);
    expect(server.seen).toHaveLength(1);
  });
});

async function pngOf(width: number, height: number): Promise<Buffer> {
  return (await encodeImage(patternImage(width, height, 5), { format: 'png', background: 'opaque' })).data;
}
