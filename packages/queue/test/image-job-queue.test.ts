import { ZodError } from 'zod';
import { useRedisServer, uniqueQueueName } from '@imageforge/testing';
import type { ImageJobPayload } from '@imageforge/jobs';
import { ImageJobQueue, InvalidJobIdError } from '../src';
import { ConnectionPool, generatePayload, newJobId } from './queue-test-kit';

describe(ImageJobQueue.name, () => {
  const redis = useRedisServer();
  const pool = new ConnectionPool();
  let queues: ImageJobQueue;
  let queueName: string;

  beforeEach(async () => {
    queueName = uniqueQueueName('jobs');
    queues = new ImageJobQueue({ connection: pool.producer(redis.url), queueNames: [queueName] });
    await queues.waitUntilReady();
  });

  afterEach(async () => {
    await queues.close();
    pool.closeAll();
  });

  it('rejects a payload that does not match the catalog schema and queues nothing', async () => {
    const invalid = { ...generatePayload(), prompt: '' } as ImageJobPayload<'image.generate'>;

    await expect(queues.enqueue('image.generate', invalid, { queue: queueName, jobId: newJobId() })).rejects.toBeInstanceOf(ZodError);

    const counts = await queues.queue(queueName).getJobCounts();
    expect(Object.values(counts).reduce((sum, count) => sum + count, 0)).toBe(0);
  });

  it('adds a valid payload under the caller id with the catalog options, stripped of unknown fields', async () => {
    const jobId = newJobId();
    const payload = { ...generatePayload('a blue circle'), extra: 'dropped' } as ImageJobPayload<'image.generate'>;

    await queues.enqueue('image.generate', payload, { queue: queueName, jobId });

    const job = await queues.getJob(queueName, jobId);
    expect(job?.name).toBe('image.generate');
    expect(job?.data).toMatchObject({ prompt: 'a blue circle' });
    expect(job?.data).not.toHaveProperty('extra');
    expect(job?.opts.attempts).toBe(3);
    expect(job?.opts.removeOnComplete).toEqual({ age: 24 * 3600, count: 50_000 });
    expect(await job?.getState()).toBe('waiting');
    expect((await queues.findJob(jobId))?.queue.name).toBe(queueName);
  });

  it.each(['12345', 'has:colon', ''])('refuses the custom job id %j', async (jobId) => {
    await expect(queues.enqueue('image.generate', generatePayload(), { queue: queueName, jobId })).rejects.toBeInstanceOf(InvalidJobIdError);
  });

  it('refuses a queue it was not configured with', async () => {
    await expect(queues.enqueue('image.generate', generatePayload(), { queue: 'elsewhere', jobId: newJobId() })).rejects.toThrow(/unknown queue elsewhere/);
  });

  it('raises the events stream length so reconnecting listeners lose less', async () => {
    const client = pool.consumer(redis.url);
    const maxLen = await client.hget(queues.queue(queueName).keys.meta ?? '', 'opts.maxLenEvents');
    expect(Number(maxLen)).toBe(100_000);
  });
});
