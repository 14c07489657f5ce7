import { ZodError } from 'zod';
import { useRedisServer, uniqueQueueName } from '@imageforge/testing';
import type { ImageJobPayload } from '@imageforge/jobs';
import { maintenanceJobCatalog } from '@imageforge/jobs';
import { InvalidJobIdError, JobQueue, laneQueueName } from '../src';
import { ConnectionPool, generatePayload, imageJobQueue, newJobId, type ImageJobQueue } from './queue-test-kit';

describe(JobQueue.name, () => {
  const redis = useRedisServer();
  const pool = new ConnectionPool();
  let queues: ImageJobQueue;
  let queueName: string;

  beforeEach(async () => {
    queueName = uniqueQueueName('jobs');
    queues = imageJobQueue(pool.producer(redis.url), [queueName]);
    await queues.waitUntilReady();
  });

  afterEach(async () => {
    await queues.close();
    pool.closeAll();
  });

  it('rejects a payload that does not match the catalog schema and queues nothing', async () => {
    const invalid = { ...generatePayload(), prompt: '' } as ImageJobPayload<'image.generate'>;

    await expect(queues.enqueue({ queue: queueName, name: 'image.generate', payload: invalid, jobId: newJobId() })).rejects.toBeInstanceOf(ZodError);

    const counts = await queues.queue(queueName).getJobCounts();
    expect(Object.values(counts).reduce((sum: number, count) => sum + Number(count), 0)).toBe(0);
  });

  it('adds a valid payload under the caller id with the catalog options, stripped of unknown fields', async () => {
    const jobId = newJobId();
    const payload = { ...generatePayload('a blue circle'), extra: 'dropped' } as ImageJobPayload<'image.generate'>;

    await queues.enqueue({ queue: queueName, name: 'image.generate', payload, jobId });

    const job = await queues.queue(queueName).getJob(jobId);
    expect(job?.name).toBe('image.generate');
    expect(job?.data).toMatchObject({ prompt: 'a blue circle' });
    expect(job?.data).not.toHaveProperty('extra');
    expect(job?.opts.attempts).toBe(3);
    expect(job?.opts.removeOnComplete).toEqual({ age: 24 * 3600, count: 50_000 });
    expect(await job?.getState()).toBe('waiting');
    expect((await queues.findJob(jobId))?.queue.name).toBe(queueName);
  });

  it.each(['12345', 'has:colon', ''])('refuses the custom job id %j', async (jobId) => {
    await expect(queues.enqueue({ queue: queueName, name: 'image.generate', payload: generatePayload(), jobId })).rejects.toBeInstanceOf(InvalidJobIdError);
  });

  it('refuses a queue it was not configured with', async () => {
    await expect(queues.enqueue({ queue: 'elsewhere', name: 'image.generate', payload: generatePayload(), jobId: newJobId() })).rejects.toThrow(/unknown queue elsewhere/);
  });

  it('routes each lane to its own queue: sync and async first come first served, batch always prioritized', async () => {
    const [interactive, async, batch, urgent, plain] = [newJobId(), newJobId(), newJobId(), newJobId(), newJobId()];
    await queues.enqueue({ queue: queueName, name: 'image.generate', payload: generatePayload(), jobId: batch, lane: 'batch', owner: 'owner-a' });
    await queues.enqueue({ queue: queueName, name: 'image.generate', payload: generatePayload(), jobId: interactive, lane: 'interactive' });
    await queues.enqueue({ queue: queueName, name: 'image.generate', payload: generatePayload(), jobId: async, lane: 'async' });
    await queues.enqueue({ queue: queueName, name: 'image.generate', payload: generatePayload(), jobId: urgent, lane: 'batch', priority: 3 });
    await queues.enqueue({ queue: queueName, name: 'image.generate', payload: generatePayload(), jobId: plain });

    // Interactive keeps the plain name, so jobs queued before lanes existed still run.
    expect(queues.queue(queueName).name).toBe(queueName);
    expect((await queues.queue(queueName).getWaiting()).map((job) => job.id).sort()).toEqual([interactive, plain].sort());
    expect((await queues.queue(queueName, 'async').getWaiting()).map((job) => job.id)).toEqual([async]);
    expect(queues.queue(queueName, 'async').name).toBe(laneQueueName(queueName, 'async'));
    const batchQueue = queues.queue(queueName, 'batch');
    expect(await batchQueue.getJobState(batch)).toBe('prioritized');
    expect((await batchQueue.getJob(batch))?.opts.priority).toBe(1);
    expect((await batchQueue.getJob(urgent))?.opts.priority).toBe(3);
    expect((await queues.findJob(async))?.queue.name).toBe(`${queueName}-async`);
    expect((await queues.locate(batch))).toMatchObject({ queue: queueName, lane: 'batch' });
    expect(await queues.locate(newJobId())).toBeUndefined();
  });

  it('keeps a job family without lanes to its plain queue, leaving no lane queues in Redis', async () => {
    const plainQueue = uniqueQueueName('plain');
    const plain = new JobQueue({ catalog: maintenanceJobCatalog, connection: pool.producer(redis.url), queueNames: [plainQueue], lanes: ['interactive'] });
    try {
      await plain.waitUntilReady();
      await plain.enqueue({ queue: plainQueue, name: 'maintenance.sweep', payload: { minAgeSeconds: 60, pageSize: 10 }, jobId: newJobId() });
      await expect(plain.enqueue({ queue: plainQueue, name: 'maintenance.sweep', payload: { minAgeSeconds: 60, pageSize: 10 }, jobId: newJobId(), lane: 'batch' })).rejects.toThrow(
        /unknown queue .* \(lane batch\)/,
      );
      expect(plain.laneQueues.map(({ bull }) => bull.name)).toEqual([plainQueue]);
      expect(await pool.consumer(redis.url).keys(`bull:{${plainQueue}-*`)).toEqual([]);
    } finally {
      await plain.close();
    }
  });

  it('refuses model queues whose lane queues would collide', () => {
    expect(() => imageJobQueue(pool.producer(redis.url), [queueName, `${queueName}-batch`])).toThrow(/would hold lanes of both/);
  });

  it('adds a delayed job that waits before it can start', async () => {
    const jobId = newJobId();
    await queues.enqueue({ queue: queueName, name: 'image.generate', payload: generatePayload(), jobId, delay: 60_000 });
    expect(await queues.queue(queueName).getJobState(jobId)).toBe('delayed');
  });

  it('reports which job ids some lane of some queue still holds', async () => {
    const kept = newJobId();
    const bulk = newJobId();
    await queues.enqueue({ queue: queueName, name: 'image.generate', payload: generatePayload(), jobId: kept });
    await queues.enqueue({ queue: queueName, name: 'image.generate', payload: generatePayload(), jobId: bulk, lane: 'batch' });
    expect(await queues.existingJobIds([kept, newJobId(), bulk, newJobId()])).toEqual(new Set([kept, bulk]));
    expect(await queues.existingJobIds([])).toEqual(new Set());
  });

  it('keeps one schedule per scheduler id however many processes upsert it, with the payload parsed', async () => {
    const maintenanceQueue = uniqueQueueName('maintenance');
    const maintenance = new JobQueue({ catalog: maintenanceJobCatalog, connection: pool.producer(redis.url), queueNames: [maintenanceQueue] });
    try {
      for (const everyMs of [60_000, 60_000, 120_000]) {
        await maintenance.schedule({ queue: maintenanceQueue, name: 'maintenance.sweep', schedulerId: 'sweep', everyMs, payload: { minAgeSeconds: 60, pageSize: 10 } });
      }
      const schedulers = await maintenance.queue(maintenanceQueue).getJobSchedulers();
      expect(schedulers.map((scheduler) => ({ key: scheduler.key, every: Number(scheduler.every) }))).toEqual([{ key: 'sweep', every: 120_000 }]);
      await expect(
        maintenance.schedule({ queue: maintenanceQueue, name: 'maintenance.sweep', schedulerId: 'bad', everyMs: 1_000, payload: { minAgeSeconds: -1, pageSize: 10 } }),
      ).rejects.toBeInstanceOf(ZodError);
    } finally {
      await maintenance.close();
    }
  });

  it('raises the events stream length so reconnecting listeners lose less', async () => {
    const client = pool.consumer(redis.url);
    const maxLen = await client.hget(queues.queue(queueName).keys.meta ?? '', 'opts.maxLenEvents');
    expect(Number(maxLen)).toBe(100_000);
  });
});
