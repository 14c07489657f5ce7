import { API_KEY, bodyOf, useImageStack } from './support/image-stack.harness';

// Each image takes 1.5 s of "GPU": long enough to hold a job running while a test acts on it.
const models = [{ id: 'dall-e-2', profile: 'dall-e-2', engine: { kind: 'synthetic', delayMsPerImage: 1_500 } }];
const FINAL = ['succeeded', 'failed', 'cancelled', 'expired'];

describe('deadlines and callers that hang up', () => {
  const stack = useImageStack({ models, workerConcurrency: 1, withoutWorker: true });
  const generate = (body: object, init: { headers?: Record<string, string>; signal?: AbortSignal; url?: string } = {}) =>
    fetch(`${init.url ?? stack.url}/v1/images/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', ...init.headers },
      body: JSON.stringify(body),
      ...(init.signal ? { signal: init.signal } : {}),
    });
  const job = async (id: string) => bodyOf(await stack.request(`/v1/images/jobs/${id}`));

  async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
    for (let i = 0; i < 300; i++) {
      const value = await read();
      if (done(value)) return value;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`timed out waiting for ${what}`);
  }
  const newJobId = async (state: 'wait' | 'active', known: ReadonlySet<string>) =>
    (await until(async () => (await stack.jobIds(state)).filter((id) => !known.has(id)), (ids) => ids.length > 0, `a new ${state} job`))[0]!;
  const seen = new Set<string>();
  const hangUp = (request: Promise<Response>, controller: AbortController) => {
    controller.abort();
    return request.catch(() => undefined);
  };

  it("cancels a hung-up sync caller's job that no worker had started, so it never runs", async () => {
    const controller = new AbortController();
    const request = generate({ prompt: 'nobody will wait for this', size: '256x256' }, { signal: controller.signal });
    const jobId = await newJobId('wait', seen);
    seen.add(jobId);
    await hangUp(request, controller);

    const cancelled = await until(() => job(jobId), (body) => body.status !== 'queued', 'the job to end');
    expect(cancelled).toMatchObject({ status: 'cancelled', started_at: null, error: { code: 'job_cancelled', message: 'cancelled: the sync caller disconnected before it started' } });

    // A worker that then drains the queue runs the next call and never the cancelled one.
    await stack.startWorker();
    const next = await generate({ prompt: 'someone waits for this', size: '256x256' });
    expect(next.status).toBe(200);
    seen.add(next.headers.get('x-job-id')!);
    expect(await job(jobId)).toMatchObject({ status: 'cancelled', started_at: null });
    const metrics = await (await stack.request('/metrics', { key: null })).text();
    expect(metrics).toContain('imageforge_job_events_total{event="abandoned_cancelled",queue="images",lane="interactive"} 1');
  });

  it('lets a started job of a caller that hung up run to completion and stay pollable', async () => {
    const controller = new AbortController();
    const request = generate({ prompt: 'started before the caller left', size: '256x256' }, { signal: controller.signal });
    const jobId = await newJobId('active', seen);
    seen.add(jobId);
    await until(() => job(jobId), (body) => body.status === 'in_progress', 'the job to start');
    await hangUp(request, controller);

    const done = await until(() => job(jobId), (body) => FINAL.includes(body.status), 'the job to finish');
    expect(done.status).toBe('succeeded');
    expect(done.result.data).toHaveLength(1);
  });

  it('ends a job not started within x-deadline-ms as expired without running it: 504 job_expired for a sync caller, a poll for an async one', async () => {
    // Holds the worker's only slot for 1.5 s: both jobs below wait longer than their 200 ms.
    const occupant = generate({ prompt: 'holds the slot', size: '256x256' }, { headers: { prefer: 'respond-async' } });
    const occupantId = (await bodyOf(await occupant)).id as string;
    seen.add(occupantId);
    await until(() => job(occupantId), (body) => body.status === 'in_progress', 'the occupant to start');
    const syncCall = generate({ prompt: 'wants it soon', size: '256x256' }, { headers: { 'x-deadline-ms': '200' } });
    const asyncResponse = await generate({ prompt: 'wants it soon too', size: '256x256' }, { headers: { 'x-deadline-ms': '200', prefer: 'respond-async' } });
    const queued = await bodyOf(asyncResponse);
    expect(queued.start_deadline_at - queued.created_at).toBeGreaterThanOrEqual(0);
    expect(queued.start_deadline_at - queued.created_at).toBeLessThanOrEqual(1);

    const syncAnswer = await syncCall;
    const syncBody = await bodyOf(syncAnswer);
    expect(syncAnswer.status).toBe(504);
    expect(syncBody.error).toMatchObject({ code: 'job_expired', type: 'server_error' });
    expect(syncBody.error.message).toContain('queue-wait deadline of 200 ms');
    const expiredSync = await job(syncAnswer.headers.get('x-job-id')!);
    expect(expiredSync).toMatchObject({ status: 'expired', started_at: null, result: null, error: { code: 'job_expired' } });

    const expiredAsync = await until(() => job(queued.id), (body) => FINAL.includes(body.status), 'the async job to end');
    expect(expiredAsync).toMatchObject({ status: 'expired', started_at: null, error: { code: 'job_expired' } });
    expect((await job(occupantId)).status).toBe('succeeded');
    const metrics = await (await stack.request('/metrics', { key: null })).text();
    expect(metrics).toContain('imageforge_job_events_total{event="expired",queue="images",lane="interactive"} 1');
    expect(metrics).toContain('imageforge_job_events_total{event="expired",queue="images",lane="async"} 1');
  });

  it('aborts a run past DEADLINE_RUN_MS through the engine signal and fails it with deadline_exceeded', async () => {
    const strict = await stack.startAnotherApi({ DEADLINE_RUN_MS: '300' });
    const response = await generate({ prompt: 'too slow for its deadline', n: 2, size: '256x256' }, { url: strict.url });
    const body = await bodyOf(response);
    expect(response.status).toBe(504);
    expect(body.error).toMatchObject({ code: 'deadline_exceeded', type: 'server_error' });
    expect(body.error.message).toContain('deadline of 300 ms');

    const failed = await job(response.headers.get('x-job-id')!);
    expect(failed).toMatchObject({ status: 'failed', run_deadline_ms: 300, result: null, error: { code: 'deadline_exceeded' } });
    expect(failed.started_at).not.toBeNull();
    const metrics = await (await stack.request('/metrics', { key: null })).text();
    expect(metrics).toContain('imageforge_job_events_total{event="deadline_exceeded",queue="images",lane="interactive"} 1');
  });

  it('refuses an x-deadline-ms that is not whole milliseconds', async () => {
    const response = await generate({ prompt: 'bad deadline', size: '256x256' }, { headers: { 'x-deadline-ms': 'soon' } });
    expect(response.status).toBe(400);
    expect((await bodyOf(response)).error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_deadline' });
  });
});
