import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { bodyOf, useImageStack } from './support/image-stack.harness';
import { makePng } from './support/test-images';

describe('jobs that do not succeed', () => {
  const stack = useImageStack({
    withoutWorker: true,
    models: [{ id: 'dall-e-2', profile: 'dall-e-2', engine: { kind: 'synthetic', delayMsPerImage: 600 } }],
  });

  const variation = async (headers: Record<string, string> = {}) => {
    const form = new FormData();
    form.append('image', new Blob([await makePng(256, 256)], { type: 'image/png' }), 'in.png');
    form.append('size', '256x256');
    return stack.request('/v1/images/variations', { method: 'POST', body: form, headers });
  };

  async function jobOf(id: string, until: (status: string) => boolean) {
    for (let i = 0; i < 250; i++) {
      const job = await bodyOf(await stack.request(`/v1/images/jobs/${id}`));
      if (until(job.status)) return job;
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
    throw new Error(`job ${id} never reached the expected status`);
  }

  it('fails a job whose stored input is gone: the poller sees failed, the sync caller 500 job_failed naming the job', async () => {
    const accepted = await bodyOf(await variation({ prefer: 'respond-async' }));
    const pendingSync = variation();
    let waiting: string[] = [];
    for (let i = 0; i < 100 && waiting.length < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      waiting = await stack.jobIds('wait');
    }
    expect(waiting).toContain(accepted.id);
    // Inputs live in storage, not in Redis: removing them makes every attempt fail for good.
    for (const id of waiting) rmSync(join(stack.dir, 'objects', 'objects', 'jobs', id), { recursive: true, force: true });
    await stack.startWorker();

    const failed = await jobOf(accepted.id, (status) => status === 'failed');
    expect(failed.error).toMatchObject({ code: 'job_failed' });
    expect(failed.result).toBeNull();
    const sync = await pendingSync;
    const syncId = waiting.find((id) => id !== accepted.id);
    expect(sync.status).toBe(500);
    expect(sync.headers.get('x-job-id')).toBe(syncId);
    expect(sync.headers.get('x-should-retry')).toBe('false');
    const body = await bodyOf(sync);
    expect(body.error).toMatchObject({ type: 'server_error', code: 'job_failed' });
    expect(body.error.message).toContain(syncId);
  });

  it('answers a sync caller 409 job_cancelled when its job is cancelled while running', async () => {
    const pending = stack.request('/v1/images/generations', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'long', n: 4, size: '256x256' }),
    });
    let jobId: string | undefined;
    for (let i = 0; i < 100 && !jobId; i++) {
      await new Promise((resolve) => setTimeout(resolve, 30));
      jobId = (await stack.jobIds('active'))[0];
    }
    expect(jobId).toBeDefined();
    expect((await stack.request(`/v1/images/jobs/${jobId}/cancel`, { method: 'POST' })).status).toBe(200);
    const response = await pending;
    expect(response.status).toBe(409);
    expect(response.headers.get('x-job-id')).toBe(jobId);
    expect((await bodyOf(response)).error.code).toBe('job_cancelled');
    expect((await jobOf(jobId!, (status) => status === 'cancelled')).status).toBe('cancelled');
  });
});
