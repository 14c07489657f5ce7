import { API_KEY, bodyOf, useImageStack } from './support/image-stack.harness';
import { countAllJobs } from './support/queue-inspector';
import { makePng } from './support/test-images';

const OTHER_KEY = 'sk-other-0123456789abcdef';

describe('Idempotency-Key: a retried POST gets the job the first attempt queued', () => {
  const stack = useImageStack({
    apiKeys: [API_KEY, OTHER_KEY],
    models: [{ id: 'dall-e-2', profile: 'dall-e-2', engine: { kind: 'synthetic', delayMsPerImage: 300 } }],
  });
  const generate = (idempotencyKey: string, headers: Record<string, string> = {}, key?: string) =>
    stack.request('/v1/images/generations', {
      method: 'POST',
      key,
      headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey, ...headers },
      body: JSON.stringify({ prompt: 'a kite', size: '256x256', response_format: 'b64_json' }),
    });

  it('answers a repeated sync request from the same job, with the same image, queuing nothing new', async () => {
    const first = await generate('retry-1');
    const second = await generate('retry-1');
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.headers.get('x-job-id')).toBe(first.headers.get('x-job-id'));
    expect((await bodyOf(second)).data[0].b64_json).toBe((await bodyOf(first)).data[0].b64_json);
    expect(await countAllJobs(stack.redis.url)).toBe(1);
  });

  it('lets a sync retry wait for the job an async attempt queued', async () => {
    const accepted = await generate('retry-2', { prefer: 'respond-async' });
    expect(accepted.status).toBe(202);
    const retried = await generate('retry-2');
    expect(retried.status).toBe(200);
    expect(retried.headers.get('x-job-id')).toBe((await bodyOf(accepted)).id);
    expect(await countAllJobs(stack.redis.url)).toBe(2);
  });

  it('keeps keys apart per API key, and refuses a key reused for another kind of request', async () => {
    const mine = await generate('shared-key', { prefer: 'respond-async' });
    const theirs = await generate('shared-key', { prefer: 'respond-async' }, OTHER_KEY);
    expect((await bodyOf(theirs)).id).not.toBe((await bodyOf(mine)).id);

    const form = new FormData();
    form.append('image', new Blob([await makePng(256, 256)], { type: 'image/png' }), 'in.png');
    const variation = await stack.request('/v1/images/variations', { method: 'POST', body: form, headers: { 'idempotency-key': 'shared-key' } });
    expect(variation.status).toBe(409);
    expect((await bodyOf(variation)).error.code).toBe('idempotency_key_reused');
  });

  it('rejects a malformed key before queuing anything', async () => {
    const before = await countAllJobs(stack.redis.url);
    const response = await generate('x'.repeat(256));
    expect(response.status).toBe(400);
    expect((await bodyOf(response)).error.code).toBe('invalid_idempotency_key');
    expect(await countAllJobs(stack.redis.url)).toBe(before);
  });
});
