import { bodyOf, useImageStack } from './support/image-stack.harness';

const ADMIN_KEY = 'admin-key-0123456789abcdef';

describe('ops endpoints', () => {
  const stack = useImageStack({ apiEnv: { ADMIN_KEY } });

  it('answers healthz and readyz without a key, naming each dependency', async () => {
    expect((await stack.request('/healthz', { key: null })).status).toBe(200);
    const ready = await stack.request('/readyz', { key: null });
    expect(ready.status).toBe(200);
    expect(await bodyOf(ready)).toMatchObject({ status: 'ready', checks: { redis: { status: 'ok' }, storage: { status: 'ok' } } });
  });

  it('exposes process memory and per-queue job counts as Prometheus text', async () => {
    const generated = await stack.request('/v1/images/generations', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'counted', size: '256x256' }),
    });
    expect(generated.status).toBe(200);
    const metrics = await stack.request('/metrics', { key: null });
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await metrics.text();
    expect(Number(/^nodejs_heap_size_used_bytes (\d+)$/m.exec(text)?.[1])).toBeGreaterThan(1_000_000);
    expect(text).toMatch(/^imageforge_sync_waiters 0$/m);
    expect(Number(/^imageforge_queue_jobs\{queue="images",lane="interactive",state="completed"\} (\d+)$/m.exec(text)?.[1])).toBeGreaterThanOrEqual(1);
  });

  it('serves bull-board behind the admin key only', async () => {
    const anonymous = await stack.request('/admin/queues', { key: null });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic/);
    expect((await stack.request('/admin/queues')).status).toBe(401);
    const basic = `Basic ${Buffer.from(`ops:${ADMIN_KEY}`).toString('base64')}`;
    const page = await stack.request('/admin/queues', { key: null, headers: { authorization: basic } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
    const queues = await stack.request('/admin/queues/api/queues', { key: ADMIN_KEY });
    expect(queues.status).toBe(200);
    expect(JSON.stringify(await bodyOf(queues))).toContain('"images"');
  });

  it('puts x-request-id on every answer, errors and unknown routes included', async () => {
    const missing = await stack.request('/v1/nothing-here');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-request-id')).toMatch(/^req_/);
    expect((await bodyOf(missing)).error.type).toBe('invalid_request_error');
    const unauthenticated = await stack.request('/v1/models', { key: null });
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers.get('x-request-id')).toBeTruthy();
  });

  it('answers 404 model_not_found for an unknown model id', async () => {
    const response = await stack.request('/v1/models/dall-e-9');
    expect(response.status).toBe(404);
    expect((await bodyOf(response)).error.code).toBe('model_not_found');
  });
});
