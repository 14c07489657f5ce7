import { bodyOf, useImageStack } from './support/image-stack.harness';

describe('API shutdown with sync callers waiting', () => {
  const stack = useImageStack({ models: [{ id: 'dall-e-2', profile: 'dall-e-2', engine: { kind: 'synthetic', delayMsPerImage: 800 } }] });

  it('answers each waiting caller 503 naming its job, and the job still completes', async () => {
    const url = stack.url;
    const pending = fetch(`${url}/v1/images/generations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test-0123456789abcdef' },
      body: JSON.stringify({ prompt: 'long enough to outlive the API', size: '256x256' }),
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const stopping = stack.stopApi();
    const response = await pending;
    await stopping;

    expect(response.status).toBe(503);
    expect(response.headers.get('x-should-retry')).toBe('false');
    const jobId = response.headers.get('x-job-id');
    expect(jobId).toMatch(/^imgjob_/);
    const body = await bodyOf(response);
    expect(body.error).toMatchObject({ type: 'server_error', code: 'server_shutting_down' });
    expect(body.error.message).toContain(jobId);

    let state = '';
    for (let i = 0; i < 100 && state !== 'completed'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      state = await stack.jobState(jobId!);
    }
    expect(state).toBe('completed');
  });
});
