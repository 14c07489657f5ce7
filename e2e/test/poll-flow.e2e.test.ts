import { API_KEY, bodyOf, useImageStack } from './support/image-stack.harness';

const OTHER_KEY = 'sk-other-0123456789abcdef';
const slowModels = [
  { id: 'dall-e-2', profile: 'dall-e-2', engine: { kind: 'synthetic', delayMsPerImage: 700 } },
  { id: 'gpt-image-1', profile: 'gpt-image', engine: { kind: 'synthetic' } },
];

describe('polling: Prefer respond-async, Prefer wait, and the job endpoint', () => {
  const stack = useImageStack({ apiKeys: [API_KEY, OTHER_KEY], models: slowModels, apiEnv: { SYNC_TIMEOUT_MS: '400' } });
  const generate = (body: object, headers: Record<string, string> = {}) =>
    stack.request('/v1/images/generations', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  async function pollUntilDone(id: string): Promise<{ statuses: string[]; job: any }> {
    const statuses: string[] = [];
    for (let i = 0; i < 200; i++) {
      const job = await bodyOf(await stack.request(`/v1/images/jobs/${id}`));
      if (statuses.at(-1) !== job.status) statuses.push(job.status);
      if (['succeeded', 'failed', 'cancelled'].includes(job.status)) return { statuses, job };
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
    throw new Error(`job ${id} did not finish`);
  }

  it('answers 202 with a job at once, then the job moves through in_progress to succeeded with the sync body', async () => {
    const started = Date.now();
    const response = await generate({ prompt: 'a slow painting', n: 2, size: '256x256' }, { prefer: 'respond-async' });
    expect(response.status).toBe(202);
    expect(Date.now() - started).toBeLessThan(700);
    const job = await bodyOf(response);
    expect(job).toMatchObject({ object: 'image.job', operation: 'generation', model: 'dall-e-2', result: null });
    expect(['queued', 'in_progress']).toContain(job.status);
    expect(response.headers.get('location')).toBe(`/v1/images/jobs/${job.id}`);
    expect(response.headers.get('x-job-id')).toBe(job.id);

    const { statuses, job: done } = await pollUntilDone(job.id);
    expect(statuses).toContain('in_progress');
    expect(statuses.at(-1)).toBe('succeeded');
    expect(done.progress).toBe(100);
    expect(done.completed_at).toBeGreaterThanOrEqual(done.created_at);
    expect(done.result.data).toHaveLength(2);
    const image = await fetch(done.result.data[0].url);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/png');
  });

  it('waits up to Prefer: wait=N and answers 202 when the job is not done by then', async () => {
    const started = Date.now();
    const response = await generate({ prompt: 'slow', n: 3, size: '256x256' }, { prefer: 'wait=0' });
    expect(response.status).toBe(202);
    expect(Date.now() - started).toBeLessThan(1500);
    const fast = await generate({ model: 'gpt-image-1', prompt: 'fast', size: '1024x1024', quality: 'low' }, { prefer: 'wait=5' });
    expect(fast.status).toBe(200);
    expect((await bodyOf(fast)).data[0].b64_json).toBeTruthy();
  });

  it('lets a key read only its own jobs', async () => {
    const job = await bodyOf(await generate({ prompt: 'mine', size: '256x256' }, { prefer: 'respond-async' }));
    const foreign = await stack.request(`/v1/images/jobs/${job.id}`, { key: OTHER_KEY });
    expect(foreign.status).toBe(404);
    expect((await bodyOf(foreign)).error.code).toBe('job_not_found');
    expect((await stack.request(`/v1/images/jobs/${job.id}`)).status).toBe(200);
  });

  it('names the job when a sync request outlives the server limit, and the job can still be collected', async () => {
    const response = await generate({ prompt: 'too slow for sync', size: '256x256' });
    expect(response.status).toBe(504);
    const jobId = response.headers.get('x-job-id');
    expect(jobId).toMatch(/^imgjob_/);
    expect(response.headers.get('x-should-retry')).toBe('false');
    const body = await bodyOf(response);
    expect(body.error.message).toContain(jobId);
    expect(body.error.code).toBe('job_timeout');
    const { job } = await pollUntilDone(jobId!);
    expect(job.status).toBe('succeeded');
  });

  it('cancels a queued job', async () => {
    const first = await bodyOf(await generate({ prompt: 'occupies the worker', n: 4, size: '256x256' }, { prefer: 'respond-async' }));
    const jobs = await Promise.all(
      Array.from({ length: 6 }, async () => bodyOf(await generate({ prompt: 'waits', size: '256x256' }, { prefer: 'respond-async' }))),
    );
    const last = jobs.at(-1);
    const cancelled = await stack.request(`/v1/images/jobs/${last.id}/cancel`, { method: 'POST' });
    expect(cancelled.status).toBe(200);
    const { job } = await pollUntilDone(last.id);
    expect(job.status).toBe('cancelled');
    expect(job.error.code).toBe('job_cancelled');
    expect((await pollUntilDone(first.id)).job.status).toBe('succeeded');
  });

  it('returns 404 for an unknown job id', async () => {
    const response = await stack.request('/v1/images/jobs/imgjob_00000000000000000000000000000000');
    expect(response.status).toBe(404);
  });
});
