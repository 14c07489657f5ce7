import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imageJobCatalog, inputImageKey, outputImageKey, type JobContext } from '@imageforge/jobs';
import { createRedisConnection, JobQueue, type RedisClient } from '@imageforge/queue';
import { LocalObjectStorage } from '@imageforge/storage';
import { uniqueQueueName, useRedisServer } from '@imageforge/testing';
import { createStorageSweepHandler } from '../src';

const context = (signal = new AbortController().signal): JobContext => ({
  jobId: 'sweep-1',
  attempt: 1,
  signal,
  reportProgress: async () => undefined,
  announcePartialImage: async () => undefined,
});

const HOUR = 3_600_000;

describe(createStorageSweepHandler.name, () => {
  const redis = useRedisServer();
  let dir: string;
  let storage: LocalObjectStorage;
  let connection: RedisClient;
  let queues: JobQueue<typeof imageJobCatalog>;
  let queueName: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sweep-'));
    storage = new LocalObjectStorage({ root: dir, publicBaseUrl: 'http://127.0.0.1:1/objects', signingSecret: 'sweep-test-secret-0123' });
    connection = createRedisConnection(redis.url, { role: 'producer' });
    queueName = uniqueQueueName('sweep');
    queues = new JobQueue({ catalog: imageJobCatalog, connection, queueNames: [queueName] });
    await queues.waitUntilReady();
  });
  afterEach(async () => {
    await queues.close();
    connection.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  async function put(key: string): Promise<void> {
    await storage.put(key, Buffer.from(key), { contentType: 'application/octet-stream' });
  }

  async function addJob(jobId: string): Promise<void> {
    await queues.enqueue({
      queue: queueName,
      name: 'image.generate',
      jobId,
      payload: {
        requestId: 'req',
        owner: 'owner',
        acceptedAt: Date.now(),
        prompt: 'p',
        params: { model: 'dall-e-2', profile: 'dall-e-2', n: 1, width: 256, height: 256, quality: 'standard', responseFormat: 'url', outputFormat: 'png', background: 'opaque' },
      },
    });
  }

  it('deletes the objects of jobs no queue holds, page by page, and keeps live jobs and other keys', async () => {
    const live = 'imgjob_live';
    const gone = Array.from({ length: 7 }, (_, i) => `imgjob_gone${i}`);
    await addJob(live);
    for (const key of [outputImageKey(live, 0, 'png'), inputImageKey(live, 0)]) await put(key);
    for (const jobId of gone) {
      await put(inputImageKey(jobId, 0));
      await put(outputImageKey(jobId, 0, 'png'));
    }
    await put('files/not-a-job-object');

    const sweep = createStorageSweepHandler({ storage, existingJobIds: (ids) => queues.existingJobIds(ids), clock: () => Date.now() + 2 * HOUR });
    const result = await sweep({ minAgeSeconds: 3_600, pageSize: 3 }, context());

    expect(result).toEqual({ scanned: 16, deleted: 14, abandoned: 0 });
    const left = (await storage.list('', { limit: 100 })).objects.map((object) => object.key).sort();
    expect(left).toEqual(['files/not-a-job-object', inputImageKey(live, 0), outputImageKey(live, 0, 'png')].sort());
  });

  it('never touches objects younger than the minimum age, job or no job', async () => {
    await put(inputImageKey('imgjob_just_stored', 0));
    const sweep = createStorageSweepHandler({ storage, existingJobIds: (ids) => queues.existingJobIds(ids) });

    expect(await sweep({ minAgeSeconds: 3_600, pageSize: 500 }, context())).toEqual({ scanned: 1, deleted: 0, abandoned: 0 });
    expect(await storage.head(inputImageKey('imgjob_just_stored', 0))).not.toBeNull();
  });

  it('stops between pages once its signal is aborted', async () => {
    for (let i = 0; i < 4; i++) await put(inputImageKey(`imgjob_old${i}`, 0));
    const controller = new AbortController();
    const sweep = createStorageSweepHandler({
      storage,
      existingJobIds: async (ids) => {
        controller.abort();
        return queues.existingJobIds(ids);
      },
      clock: () => Date.now() + 2 * HOUR,
    });

    expect(await sweep({ minAgeSeconds: 60, pageSize: 2 }, context(controller.signal))).toEqual({ scanned: 2, deleted: 2, abandoned: 0 });
  });
});
