import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelRegistryEntrySchema } from '@imageforge/contracts';
import { imageJobCatalog } from '@imageforge/jobs';
import { BullmqJobGateway, CompletionWaiters, createRedisConnection, JobQueue, QueueJobEvents } from '@imageforge/queue';
import { LocalObjectStorage } from '@imageforge/storage';
import { dallE2Params, uniqueQueueName, useRedisServer } from '@imageforge/testing';
import { ImageJobQueryService, ImageSubmissionService } from '../src';

describe(`${ImageSubmissionService.name} on BullMQ`, () => {
  const redis = useRedisServer();
  let storageDir: string;
  let close: () => Promise<void>;
  let submissions: ImageSubmissionService;
  let jobs: ImageJobQueryService;
  let queueName: string;
  let queue: JobQueue<typeof imageJobCatalog>;

  beforeEach(async () => {
    queueName = uniqueQueueName('images');
    storageDir = mkdtempSync(join(tmpdir(), 'submission-'));
    const producer = createRedisConnection(redis.url, { role: 'producer' });
    const consumer = createRedisConnection(redis.url, { role: 'consumer' });
    queue = new JobQueue({ catalog: imageJobCatalog, connection: producer, queueNames: [queueName] });
    const events = new QueueJobEvents({ connection: consumer, queueNames: [queueName] });
    const waiters = new CompletionWaiters({ events, connection: consumer, queueNames: [queueName] });
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
    const storage = new LocalObjectStorage({ root: storageDir, publicBaseUrl: 'http://127.0.0.1:1', signingSecret: 'test-secret' });
    const gateway = new BullmqJobGateway({ queue, waiters, connection: producer });
    submissions = new ImageSubmissionService({ gateway, storage, urlTtlSeconds: 60 });
    jobs = new ImageJobQueryService({ gateway, storage, urlTtlSeconds: 60 });
    close = async () => {
      waiters.close();
      await events.close();
      await queue.close();
      await Promise.allSettled([producer.quit(), consumer.quit()]);
    };
  });

  afterEach(async () => {
    await close();
    rmSync(storageDir, { recursive: true, force: true });
  });

  it('answers respond-async with the job object a poll reads back while the job waits', async () => {
    const entry = ModelRegistryEntrySchema.parse({ id: 'dall-e-2', profile: 'dall-e-2', queue: queueName });
    const params = dallE2Params({ n: 2 });

    const outcome = await submissions.submit({ operation: 'generation', entry, params, prompt: 'a quiet harbour' }, { requestId: 'req_1', owner: 'owner-a' }, { kind: 'async' });

    expect(outcome.kind).toBe('accepted');
    if (outcome.kind !== 'accepted') return;
    // The place in line is a read of its own, made by polls but not by the 202.
    const polled = await jobs.get(outcome.jobId, 'owner-a');
    expect(polled.queue_position).toBe(0);
    expect(outcome.job).toEqual({ ...polled, queue_position: null });
    expect(outcome.job).toMatchObject({ id: outcome.jobId, status: 'queued', progress: 0, model: 'dall-e-2', operation: 'generation', lane: 'async', owner: 'owner-a' });
    // respond-async work waits in the model queue's async lane, not behind or ahead of sync calls.
    expect(await queue.queue(queueName, 'async').getJobState(outcome.jobId)).toBe('waiting');
    expect(await queue.queue(queueName).getJobState(outcome.jobId)).toBe('unknown');
  });
});
