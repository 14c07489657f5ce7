import { createHash, randomUUID } from 'node:crypto';
import { dallE2Params } from '@imageforge/testing';
import { GeneratePayloadSchema, imageJobCatalog } from '@imageforge/jobs';
import { createRedisConnection, JobQueue } from '@imageforge/queue';
import { API_KEY, bodyOf, useImageStack } from './support/image-stack.harness';
import { readEveryLane } from './support/queue-inspector';

const OWNER = createHash('sha256').update(API_KEY).digest('hex');
const models = [{ id: 'dall-e-2', profile: 'dall-e-2', engine: { kind: 'synthetic', delayMsPerImage: 150 } }];

describe('lanes: sync, async and batch work on one model queue', () => {
  const stack = useImageStack({ models, workerConcurrency: 1, withoutWorker: true });
  const generate = (body: object, headers: Record<string, string> = {}) =>
    stack.request('/v1/images/generations', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  /** Adds batch lines straight to the queue, as the batches package does. */
  async function enqueueBatchLines(count: number): Promise<string[]> {
    const connection = createRedisConnection(stack.redis.target, { role: 'producer', connectionName: 'imageforge:e2e-batch' });
    const queues = new JobQueue({ catalog: imageJobCatalog, connection, queueNames: ['images'] });
    try {
      await queues.waitUntilReady();
      const params = dallE2Params();
      const lines = Array.from({ length: count }, (_, index) => ({
        queue: 'images',
        name: 'image.generate' as const,
        jobId: `imgjob_${randomUUID().replaceAll('-', '')}`,
        lane: 'batch' as const,
        owner: OWNER,
        payload: GeneratePayloadSchema.parse({ requestId: `req-${index}`, owner: OWNER, acceptedAt: Date.now(), params, lane: 'batch', prompt: `line ${index}` }),
      }));
      await queues.enqueueBulk(lines);
      return lines.map((line) => line.jobId);
    } finally {
      await queues.close();
      connection.disconnect();
    }
  }

  it('puts async and sync calls in their lane queues and shows lane and owner on the job object', async () => {
    const acceptedResponse = await generate({ prompt: 'later', size: '256x256' }, { prefer: 'respond-async' });
    const accepted = await bodyOf(acceptedResponse);
    expect({ status: acceptedResponse.status, accepted }).toMatchObject({ status: 202, accepted: { status: 'queued' } });
    const pendingSync = generate({ prompt: 'now', size: '256x256' });
    let syncId: string | undefined;
    for (let i = 0; i < 100 && !syncId; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      syncId = (await stack.jobIds('wait')).find((id) => id !== accepted.id);
    }

    expect(await stack.jobLane(accepted.id)).toBe('images-async');
    expect(await stack.jobLane(syncId!)).toBe('images');
    expect(accepted).toMatchObject({ lane: 'async', owner: OWNER.slice(0, 16) });
    const polled = await bodyOf(await stack.request(`/v1/images/jobs/${syncId}`));
    expect(polled).toMatchObject({ id: syncId, lane: 'interactive', owner: OWNER.slice(0, 16), status: 'queued' });
    expect(JSON.stringify(polled)).not.toContain(OWNER);

    await stack.startWorker();
    expect((await pendingSync).status).toBe(200);
    // A Prefer: wait caller's job runs in the async lane, and its answer still comes through the event stream.
    const waited = await generate({ prompt: 'soon', size: '256x256' }, { prefer: 'wait=20' });
    expect(waited.status).toBe(200);
    expect(await stack.jobLane(waited.headers.get('x-job-id')!)).toBe('images-async');
  });

  it('serves a sync call after the running job only, with a batch draining, and labels job counts by lane', async () => {
    const lines = await enqueueBatchLines(30);
    for (let i = 0; i < 100 && (await stack.jobState(lines[0]!)) !== 'completed'; i++) await new Promise((resolve) => setTimeout(resolve, 20));

    const requestedAt = Date.now();
    const sync = await generate({ prompt: 'through the batch', size: '256x256' });
    expect(sync.status).toBe(200);

    // Behind the batch it would start after all ~29 waiting lines; here only the line running
    // when it arrived and the one held at the gate may start between its arrival and its own start.
    const [syncStart, ...lineStarts] = await readEveryLane(stack.redis.target, 'images', async (queue, lane) =>
      lane === 'interactive'
        ? [(await queue.getJob(sync.headers.get('x-job-id')!))?.processedOn ?? Infinity]
        : lane === 'batch'
          ? (await Promise.all(lines.map((id) => queue.getJob(id)))).map((job) => job?.processedOn ?? Infinity)
          : [],
    ).then((lanes) => [lanes[0]![0]!, ...lanes.slice(1).flat()]);
    const startedMeanwhile = lineStarts.filter((start) => start >= requestedAt && start < syncStart!).length;
    expect(startedMeanwhile).toBeLessThanOrEqual(2);
    expect(lineStarts.filter((start) => start > syncStart!).length).toBeGreaterThan(10);
    const line = await bodyOf(await stack.request(`/v1/images/jobs/${lines.at(-1)}`));
    expect(line).toMatchObject({ lane: 'batch', owner: OWNER.slice(0, 16) });
    expect(['queued', 'in_progress']).toContain(line.status);

    const text = await (await stack.request('/metrics', { key: null })).text();
    expect(Number(/^imageforge_queue_jobs\{queue="images",lane="batch",state="prioritized"\} (\d+)$/m.exec(text)?.[1])).toBeGreaterThan(0);
    expect(text).toMatch(/^imageforge_queue_jobs\{queue="images",lane="async",state="completed"\} \d+$/m);
    expect(text).toMatch(/^imageforge_queue_jobs\{queue="images",lane="interactive",state="completed"\} \d+$/m);
    expect(text).not.toContain(OWNER.slice(0, 16));
  });
});
