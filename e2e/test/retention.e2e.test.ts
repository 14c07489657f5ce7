import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { bodyOf, useImageStack } from './support/image-stack.harness';
import { makePng } from './support/test-images';

describe('retention through the stack', () => {
  // No worker at first: a job stays queued until the test starts one.
  const stack = useImageStack({ storage: 'local', withoutWorker: true });
  const jobDir = (jobId: string, kind: 'input' | 'output') => join(stack.dir, 'objects', 'objects', 'jobs', jobId, kind);

  const variation = async (headers: Record<string, string> = {}) => {
    const form = new FormData();
    form.append('image', new Blob([await makePng(256, 256)], { type: 'image/png' }), 'in.png');
    form.append('size', '256x256');
    return stack.request('/v1/images/variations', { method: 'POST', body: form, headers });
  };

  async function until(check: () => boolean, what: string): Promise<void> {
    for (let i = 0; i < 250 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    if (!check()) throw new Error(`never saw ${what}`);
  }

  it('deletes the inputs of a job cancelled while queued, as the cancel is answered', async () => {
    const job = await bodyOf(await variation({ prefer: 'respond-async' }));
    expect(existsSync(jobDir(job.id, 'input'))).toBe(true);

    const cancelled = await stack.request(`/v1/images/jobs/${job.id}/cancel`, { method: 'POST' });

    expect(await bodyOf(cancelled)).toMatchObject({ id: job.id, status: 'cancelled' });
    expect(existsSync(jobDir(job.id, 'input'))).toBe(false);
  });

  it('deletes a finished job\'s inputs and keeps its images, which the job object says it keeps 24 hours', async () => {
    await stack.startWorker();
    const response = await variation();
    expect(response.status).toBe(200);
    const jobId = response.headers.get('x-job-id')!;

    await until(() => !existsSync(jobDir(jobId, 'input')), 'the inputs deleted');
    expect(existsSync(jobDir(jobId, 'output'))).toBe(true);
    const job = await bodyOf(await stack.request(`/v1/images/jobs/${jobId}`));
    expect(job).toMatchObject({ status: 'succeeded', error: null, result: { data: [{ url: expect.any(String) }] } });
    expect(job.result_expires_at - job.started_at).toBe(24 * 3600);
  });

  it('answers a link to a deleted image 404 in OpenAI\'s shape, and a poll of a job whose images are gone with result_expired', async () => {
    const linked = await bodyOf(await variation());
    const b64Response = await stack.request('/v1/images/generations', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-image-1', prompt: 'a kite', size: '1024x1024', quality: 'low' }),
    });
    const b64Job = b64Response.headers.get('x-job-id')!;
    const url = new URL(linked.data[0].url as string);
    const linkedJob = url.pathname.split('/')[3]!;
    // What the sweep does to them once their age is up.
    for (const jobId of [linkedJob, b64Job]) rmSync(jobDir(jobId, 'output'), { recursive: true, force: true });

    const fetched = await fetch(url);
    expect(fetched.status).toBe(404);
    expect(await bodyOf(fetched)).toEqual({ error: { message: 'The file no longer exists.', type: 'invalid_request_error', param: null, code: 'file_not_found' } });
    const polled = await stack.request(`/v1/images/jobs/${b64Job}`);
    expect(polled.status).toBe(200);
    expect(await bodyOf(polled)).toMatchObject({ status: 'succeeded', result: null, error: { code: 'result_expired' } });
  });
});
