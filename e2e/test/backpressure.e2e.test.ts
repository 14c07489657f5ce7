import OpenAI from 'openai';
import { API_KEY, bodyOf, useImageStack } from './support/image-stack.harness';

// 1 s an image; the sync limit is 3 s, so four images waiting ahead of a call are more than it can wait for.
const models = [{ id: 'dall-e-2', profile: 'dall-e-2', engine: { kind: 'synthetic', delayMsPerImage: 1_000 } }];

describe('backpressure: sync calls a lane cannot start within the sync limit', () => {
  const stack = useImageStack({ models, workerConcurrency: 1, apiEnv: { SYNC_TIMEOUT_MS: '3000' } });
  const generate = (body: object, init: { headers?: Record<string, string>; signal?: AbortSignal } = {}) =>
    fetch(`${stack.url}/v1/images/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', ...init.headers },
      body: JSON.stringify(body),
      ...(init.signal ? { signal: init.signal } : {}),
    });

  it('answers 503 server_is_overloaded with retry-after to sync calls while async calls still queue', async () => {
    // Never measured, a model never refuses; one finished job gives it a pace.
    expect((await generate({ prompt: 'measures the pace', size: '256x256' })).status).toBe(200);
    await stack.stopWorker();

    const holder = new AbortController();
    const held = generate({ prompt: 'four images ahead', n: 4, size: '256x256' }, { signal: holder.signal }).catch(() => undefined);
    for (let i = 0; i < 200 && (await stack.jobIds('wait')).length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    const queuedBefore = (await stack.jobIds('wait')).length;
    expect(queuedBefore).toBe(1);

    const refused = await generate({ prompt: 'would only time out', size: '256x256' });
    expect(refused.status).toBe(503);
    expect(await bodyOf(refused)).toEqual({
      error: { message: 'The server is overloaded or not ready yet.', type: 'server_error', param: null, code: 'server_is_overloaded' },
    });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get('x-job-id')).toBeNull();

    // The SDK raises it as an InternalServerError carrying OpenAI's code.
    const client = new OpenAI({ apiKey: API_KEY, baseURL: `${stack.url}/v1`, maxRetries: 0 });
    const raised = await client.images.generate({ model: 'dall-e-2', prompt: 'also refused', size: '256x256' }).catch((error: unknown) => error);
    expect(raised).toBeInstanceOf(OpenAI.InternalServerError);
    expect(raised).toMatchObject({ status: 503, code: 'server_is_overloaded' });
    expect((await stack.jobIds('wait')).length).toBe(queuedBefore);

    const accepted = await generate({ prompt: 'happy to wait', size: '256x256' }, { headers: { prefer: 'respond-async' } });
    expect(accepted.status).toBe(202);
    expect((await bodyOf(accepted)).status).toBe('queued');

    const metrics = await (await stack.request('/metrics', { key: null })).text();
    expect(metrics).toContain('imageforge_job_events_total{event="overloaded",queue="images",lane="interactive"} 2');
    holder.abort();
    await held;
  });
});
