import { Redis } from 'ioredis';
import { BATCH_QUEUE, MAINTENANCE_QUEUE, WEBHOOKS_QUEUE } from '@imageforge/jobs';
import { laneQueueNames } from '@imageforge/queue';
import OpenAI, { toFile } from 'openai';
import { API_KEY, bodyOf, useImageStack } from './support/image-stack.harness';

const models = [
  { id: 'dall-e-2', profile: 'dall-e-2', queue: 'images', engine: { kind: 'synthetic' } },
  { id: 'slow-model', profile: 'gpt-image', queue: 'slow', engine: { kind: 'synthetic', delayMsPerImage: 1_200 } },
];

/**
 * The whole stack on a real 3-master Redis Cluster: the API and the worker connect
 * through ioredis Cluster (REDIS_CLUSTER_NODES), and every queue's keys share one
 * hash tag, so BullMQ's scripts run on one slot while queues spread over shards.
 */
describe('the stack on a Redis Cluster', () => {
  const stack = useImageStack({ redis: 'cluster', models, workerConcurrency: 1, apiEnv: { SYNC_TIMEOUT_MS: '20000' } });
  const generate = (body: object, headers: Record<string, string> = {}) =>
    stack.request('/v1/images/generations', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const nodes = () => stack.redis.cluster.nodes.map(({ host, port }) => new Redis({ host, port, lazyConnect: false }));

  async function onEveryNode<T>(run: (node: Redis) => Promise<T>): Promise<T[]> {
    const clients = nodes();
    try {
      return await Promise.all(clients.map(run));
    } finally {
      for (const client of clients) client.disconnect();
    }
  }

  async function pollUntilDone(id: string): Promise<any> {
    for (let i = 0; i < 300; i++) {
      const job = await bodyOf(await stack.request(`/v1/images/jobs/${id}`));
      if (['succeeded', 'failed', 'cancelled'].includes(job.status)) return job;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`job ${id} did not finish`);
  }

  it('keeps each queue under its own hash tag, so its keys live on one slot', async () => {
    const response = await generate({ prompt: 'a harbour at night', size: '256x256' });
    expect(response.status).toBe(200);
    const keys = (await onEveryNode((node) => node.keys('bull:*'))).flat();
    expect(keys.length).toBeGreaterThan(0);
    // Every lane of a queue is a BullMQ queue of its own, under its own tag.
    const queues = ['images', 'slow', MAINTENANCE_QUEUE, WEBHOOKS_QUEUE, BATCH_QUEUE].flatMap(laneQueueNames);
    // Besides the queues, the stores of files, batches, webhook deliveries, model pace and ops data each keep one tag of their own.
    const stores = ['files', 'batches', 'webhooks', 'pace', 'ops'].map((store) => `bull:{${store}}:`);
    expect(keys.filter((key) => !queues.some((queue) => key.startsWith(`bull:{${queue}}:${queue}:`)) && !stores.some((prefix) => key.startsWith(prefix)))).toEqual([]);
    const slots = await onEveryNode((node) => node.cluster('KEYSLOT', 'bull:{images}:images:wait') as Promise<number>);
    expect(new Set(slots).size).toBe(1);
    expect(await onEveryNode((node) => node.cluster('KEYSLOT', 'bull:{images}:images:events') as Promise<number>)).toEqual(slots);
  });

  it('answers a sync call with the images and an async one with a job that polls to succeeded', async () => {
    const sync = await generate({ prompt: 'a lighthouse', n: 2, size: '256x256', response_format: 'b64_json' });
    expect(sync.status).toBe(200);
    expect((await bodyOf(sync)).data).toHaveLength(2);

    const accepted = await generate({ prompt: 'a lighthouse', size: '512x512' }, { prefer: 'respond-async' });
    expect(accepted.status).toBe(202);
    const done = await pollUntilDone((await bodyOf(accepted)).id);
    expect(done).toMatchObject({ status: 'succeeded', progress: 100 });
    expect((await fetch(done.result.data[0].url)).status).toBe(200);
  });

  it('cancels a queued and a running job from the API', async () => {
    const running = await bodyOf(await generate({ model: 'slow-model', prompt: 'first', size: '1024x1024' }, { prefer: 'respond-async' }));
    const queued = await bodyOf(await generate({ model: 'slow-model', prompt: 'second', size: '1024x1024' }, { prefer: 'respond-async' }));
    for (let i = 0; i < 100 && (await stack.jobState(running.id, 'slow')) !== 'active'; i++) await new Promise((resolve) => setTimeout(resolve, 20));

    const cancelQueued = await stack.request(`/v1/images/jobs/${queued.id}/cancel`, { method: 'POST' });
    expect(await bodyOf(cancelQueued)).toMatchObject({ id: queued.id, status: 'cancelled' });
    await stack.request(`/v1/images/jobs/${running.id}/cancel`, { method: 'POST' });
    expect(await pollUntilDone(running.id)).toMatchObject({ status: 'cancelled', error: { code: 'job_cancelled' } });
  });

  it('still answers a sync caller whose completion event was lost, through the reconciliation poll', async () => {
    const pending = generate({ model: 'slow-model', prompt: 'through an outage', size: '1024x1024' });
    let jobId: string | undefined;
    for (let i = 0; i < 100 && !jobId; i++) {
      jobId = (await stack.jobIds('active', 'slow'))[0];
      if (!jobId) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(jobId).toBeDefined();
    const password = 'cluster-outage-pass';
    const admin = nodes();
    try {
      // While a password is set, new connections are refused and open ones keep working: the API's
      // event readers, once cut, stay away until the job's events are gone, and nothing else is touched.
      await Promise.all(admin.map((node) => node.config('SET', 'requirepass', password)));
      const killed = await Promise.all(
        admin.map(async (node) => {
          const readers = String(await node.client('LIST')).split('\n').filter((line) => line.includes('cmd=xread'));
          for (const line of readers) await node.client('KILL', 'ID', /(?:^| )id=(\d+)/.exec(line)![1]!);
          return readers.length;
        }),
      );
      expect(killed.reduce((sum, count) => sum + count, 0)).toBeGreaterThan(0);
      const owner = await ownerOf(admin, 'bull:{slow}:slow:completed');
      await owner.auth(password).catch(() => undefined);
      for (let i = 0; i < 200 && (await owner.zscore('bull:{slow}:slow:completed', jobId!)) === null; i++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect(await owner.zscore('bull:{slow}:slow:completed', jobId!)).not.toBeNull();
      // What a busy queue does to a reader that is away: its events are trimmed.
      await owner.xtrim('bull:{slow}:slow:events', 'MAXLEN', 0);
    } finally {
      await Promise.all(admin.map((node) => node.config('SET', 'requirepass', '')));
      for (const node of admin) node.disconnect();
    }

    const response = await pending;
    expect(response.status).toBe(200);
    expect(response.headers.get('x-job-id')).toBe(jobId);
    expect((await bodyOf(response)).data[0].b64_json).toBeTruthy();
  });

  it('runs a batch end to end: files, batch record and counters, line jobs and output on their own slots', async () => {
    const client = new OpenAI({ apiKey: API_KEY, baseURL: `${stack.url}/v1`, maxRetries: 0 });
    const lines = ['a', 'b', 'c'].map((id) => JSON.stringify({ custom_id: id, method: 'POST', url: '/v1/images/generations', body: { prompt: `fox ${id}`, size: '256x256' } }));
    const input = await client.files.create({ file: await toFile(Buffer.from(lines.join('\n')), 'in.jsonl'), purpose: 'batch' });
    let batch = await client.batches.create({ input_file_id: input.id, endpoint: '/v1/images/generations', completion_window: '24h' });
    for (let i = 0; i < 300 && batch.status !== 'completed'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      batch = await client.batches.retrieve(batch.id);
    }
    expect(batch).toMatchObject({ status: 'completed', request_counts: { total: 3, completed: 3, failed: 0 } });
    const output = (await (await client.files.content(batch.output_file_id!)).text()).split('\n').filter(Boolean);
    expect(output.map((line) => JSON.parse(line).custom_id)).toEqual(['a', 'b', 'c']);
    const keys = (await onEveryNode((node) => node.keys('bull:{batches}:*'))).flat();
    expect(keys.some((key) => key.startsWith('bull:{batches}:batch:'))).toBe(true);
  });
});

/** The node that serves `key`'s slot. */
async function ownerOf(nodes: Redis[], key: string): Promise<Redis> {
  const slot = Number(await nodes[0]!.cluster('KEYSLOT', key));
  const ranges = await nodes[0]!.cluster('SLOTS');
  const range = ranges.find(([from, to]) => slot >= from && slot <= to)!;
  const port = range[2]![1];
  return nodes.find((node) => node.options.port === port)!;
}
