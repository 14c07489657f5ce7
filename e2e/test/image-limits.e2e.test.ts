import { toFile } from 'openai';
import type { Batch } from 'openai/resources/batches';
import { API_KEY, bodyOf, useImageStack } from './support/image-stack.harness';
import { makePng } from './support/test-images';
import { recordingClient, refusalOf } from './support/sdk-calls';

const OTHER_KEY = 'sk-limits-fedcba9876543210';
const small = { model: 'dall-e-2', prompt: 'a lighthouse', size: '256x256', response_format: 'b64_json' } as const;

describe('images per minute, counted by n over both API processes', () => {
  const env = { RATE_LIMIT_IMAGES_PER_MINUTE: '4' };
  const stack = useImageStack({ apiEnv: env });
  let second = '';
  beforeAll(async () => {
    second = (await stack.startAnotherApi(env)).url;
  });

  it("admits images until the minute's are spent, on either process, then answers type images", async () => {
    const first = recordingClient(stack.url, { apiKey: API_KEY }).client;
    const { data, response } = await first.images.generate({ ...small, n: 2 }).withResponse();
    expect(data.data).toHaveLength(2);
    expect(response.headers.get('x-ratelimit-limit-images')).toBe('4');
    expect(response.headers.get('x-ratelimit-remaining-images')).toBe('2');
    expect(response.headers.get('x-ratelimit-reset-images')).toMatch(/^[\d.]+s$/);
    // No request limit is configured, so none is announced.
    expect(response.headers.get('x-ratelimit-limit-requests')).toBeNull();
    const { response: other } = await recordingClient(second, { apiKey: API_KEY }).client.images.generate({ ...small, n: 2 }).withResponse();
    expect(other.headers.get('x-ratelimit-remaining-images')).toBe('0');

    const refused = await refusalOf(first.images.generate({ ...small, n: 1 }));
    expect(refused.error).toEqual({
      message: expect.stringMatching(/^Rate limit reached for images per min \(IPM\): Limit 4, Used 4, Requested 1\. Please try again in [\d.]+s\.$/),
      type: 'images',
      param: null,
      code: 'rate_limit_exceeded',
    });
    const waitMs = Number(refused.headers.get('retry-after-ms'));
    expect(waitMs).toBeGreaterThan(0);
    expect(waitMs).toBeLessThanOrEqual(15_000);
    expect(refused.headers.get('x-ratelimit-remaining-images')).toBe('0');

    // Variations (and edits) draw on the same images.
    const variation = recordingClient(second, { apiKey: API_KEY }).client.images.createVariation({ image: await toFile(await makePng(256, 256), 'otter.png'), n: 1, size: '256x256' });
    expect((await refusalOf(variation)).type).toBe('images');
  });

  it('refuses more images than a minute holds once, without a retry', async () => {
    const { client, statuses } = recordingClient(stack.url, { apiKey: API_KEY, maxRetries: 2 });
    const refused = await refusalOf(client.images.generate({ ...small, n: 5 }));
    expect(refused.error).toMatchObject({ type: 'images', param: 'n', code: 'rate_limit_exceeded' });
    expect(statuses).toEqual([429]);
  });

  it('leaves batch lines out of the per-minute images', async () => {
    const client = recordingClient(stack.url, { apiKey: API_KEY }).client;
    await refusalOf(client.images.generate({ ...small, n: 1 }));
    const lines = Array.from({ length: 3 }, (_, i) => JSON.stringify({ custom_id: `l-${i}`, method: 'POST', url: '/v1/images/generations', body: { ...small, prompt: `fox ${i}` } }));
    const file = await client.files.create({ file: await toFile(Buffer.from(lines.join('\n')), 'lines.jsonl'), purpose: 'batch' });
    let batch: Batch = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/images/generations', completion_window: '24h' });
    const deadline = Date.now() + 30_000;
    while (!['completed', 'failed', 'expired', 'cancelled'].includes(batch.status) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      batch = await client.batches.retrieve(batch.id);
    }
    expect(batch.status).toBe('completed');
    expect(batch.request_counts).toMatchObject({ total: 3, completed: 3, failed: 0 });
  });
});

describe('the daily image quota', () => {
  const env = { QUOTA_DAILY_IMAGES: '3' };
  const stack = useImageStack({ apiKeys: [API_KEY, OTHER_KEY], apiEnv: env });
  let second = '';
  beforeAll(async () => {
    second = (await stack.startAnotherApi(env)).url;
  });

  it("answers insufficient_quota once a key's images for the day are spent on any process, and the SDK does not retry it", async () => {
    await recordingClient(stack.url, { apiKey: API_KEY }).client.images.generate({ ...small, n: 2 });
    await recordingClient(second, { apiKey: API_KEY }).client.images.generate({ ...small, n: 1 });
    const { client, statuses } = recordingClient(stack.url, { apiKey: API_KEY, maxRetries: 2 });
    const refused = await refusalOf(client.images.generate({ ...small, n: 1 }));
    expect(refused.status).toBe(429);
    expect(refused.error).toEqual({
      message: 'You exceeded your current quota, please check your plan and billing details.',
      type: 'insufficient_quota',
      param: null,
      code: 'insufficient_quota',
    });
    expect(statuses).toEqual([429]);
    expect((await recordingClient(second, { apiKey: OTHER_KEY }).client.images.generate({ ...small, n: 3 })).data).toHaveLength(3);
  });
});

describe('concurrent jobs of a key, queued or running', () => {
  const env = { RATE_LIMIT_CONCURRENT_JOBS: '1' };
  const stack = useImageStack({ apiEnv: env, withoutWorker: true });
  let second = '';
  beforeAll(async () => {
    second = (await stack.startAnotherApi(env)).url;
  });
  const submitAsync = (url: string) =>
    fetch(`${url}/v1/images/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', prefer: 'respond-async' },
      body: JSON.stringify({ ...small, n: 1 }),
    });

  it('holds a slot from submission until the job is cancelled in the API or settles in the worker', async () => {
    const queued = await submitAsync(stack.url);
    expect(queued.status).toBe(202);
    const { id } = await bodyOf(queued);

    const sdk = recordingClient(second, { apiKey: API_KEY }).client;
    const refused = await refusalOf(sdk.images.generate({ ...small, n: 1 }, { headers: { prefer: 'respond-async' } }));
    expect(refused.error).toMatchObject({ type: 'jobs', code: 'rate_limit_exceeded' });
    expect(refused.message).toContain('Limit 1, Used 1, Requested 1');

    // Cancelled before any worker took it: the API gives the slot back.
    const cancel = await fetch(`${second}/v1/images/jobs/${id}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${API_KEY}` } });
    expect((await bodyOf(cancel)).status).toBe('cancelled');
    const next = await submitAsync(second);
    expect(next.status).toBe(202);
    const { id: running } = await bodyOf(next);
    await refusalOf(recordingClient(stack.url, { apiKey: API_KEY }).client.images.generate({ ...small, n: 1 }));

    // Run by a worker: its settled hook gives the slot back before the job reads as done.
    await stack.startWorker();
    const deadline = Date.now() + 20_000;
    let status = 'queued';
    while (status !== 'succeeded' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      status = (await bodyOf(await stack.request(`/v1/images/jobs/${running}`))).status;
    }
    expect(status).toBe('succeeded');
    const sync = recordingClient(stack.url, { apiKey: API_KEY }).client;
    expect((await sync.images.generate({ ...small, n: 1 })).data).toHaveLength(1);
    expect((await recordingClient(second, { apiKey: API_KEY }).client.images.generate({ ...small, n: 1 })).data).toHaveLength(1);
  });
});
