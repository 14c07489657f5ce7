import { Redis } from 'ioredis';
import { bodyOf, useImageStack } from './support/image-stack.harness';

describe('Redis outages', () => {
  const stack = useImageStack({ workerConcurrency: 2, models: [{ id: 'dall-e-2', profile: 'dall-e-2', engine: { kind: 'synthetic', delayMsPerImage: 400 } }] });
  const generate = () =>
    stack.request('/v1/images/generations', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'a harbour', size: '256x256', response_format: 'b64_json' }),
    });

  it('delivers a sync result even when the QueueEvents connection is killed while the job runs', async () => {
    const pending = generate();
    await new Promise((resolve) => setTimeout(resolve, 150));
    const admin = new Redis(stack.redis.url);
    const clients = String(await admin.call('CLIENT', 'LIST'))
      .split('\n')
      .filter((line) => /name=imageforge:api-events/.test(line));
    expect(clients.length).toBeGreaterThan(0);
    for (const line of clients) {
      const id = /id=(\d+)/.exec(line)?.[1];
      if (id) await admin.call('CLIENT', 'KILL', 'ID', id);
    }
    await admin.quit();
    const response = await pending;
    expect(response.status).toBe(200);
    expect((await bodyOf(response)).data).toHaveLength(1);
  });

  it('answers 503 within a second while Redis is down, then recovers when it is back', async () => {
    const port = stack.redis.server.port;
    await stack.redis.server.stop();
    const started = Date.now();
    const down = await generate();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(down.status).toBe(503);
    expect((await bodyOf(down)).error).toMatchObject({ type: 'server_error', code: 'queue_unavailable' });
    const ready = await stack.request('/readyz');
    expect(ready.status).toBe(503);

    // Adopted by the harness, which stops it after the API and the worker have closed.
    const revived = await stack.restartRedis();
    expect(revived.port).toBe(port);
    let recovered: Response | undefined;
    for (let i = 0; i < 100 && recovered?.status !== 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      recovered = await generate();
    }
    expect(recovered?.status).toBe(200);
  });
});
