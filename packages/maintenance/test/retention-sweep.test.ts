import { randomUUID } from 'node:crypto';
import { utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  imageJobCatalog,
  inputImageKey,
  inputMaskKey,
  MAINTENANCE_QUEUE,
  maintenanceJobCatalog,
  outputImageKey,
  partialImageKey,
  type ImageJobPayload,
  type StorageSweepResult,
} from '@imageforge/jobs';
import { createJobWorker, createRedisConnection, JobQueue, readJobRecord, RedisLease, type RedisClient, type WorkerHandle } from '@imageforge/queue';
import { uniqueQueueName, useRedisServer, useS3Server } from '@imageforge/testing';
import { createStorageSweepHandler, type StorageSweepDeps } from '../src';
import { localStore, meetingPoint, put, recordingLogger, s3Store, sweepContext, type SweptStore } from './retention-fixtures';

const HOUR = 3_600_000;
const OUTPUT_HOURS = 24;
const schedule = { minAgeSeconds: 3_600, pageSize: 4, outputMaxAgeSeconds: OUTPUT_HOURS * 3_600 };

const redisServer = useRedisServer();
const s3 = useS3Server();

function payload(): ImageJobPayload<'image.edit'> {
  return {
    requestId: 'req',
    owner: 'owner',
    acceptedAt: Date.now(),
    prompt: 'p',
    imageKeys: ['files/file-upload'],
    params: { model: 'dall-e-2', profile: 'dall-e-2', n: 1, width: 256, height: 256, quality: 'standard', responseFormat: 'url', outputFormat: 'png', background: 'opaque' },
  };
}

describe.each([
  ['local storage', () => localStore()],
  ['S3', () => s3Store(s3)],
])('retention over %s', (_name, openStore: () => Promise<SweptStore>) => {
  let store: SweptStore;
  let redis: RedisClient;
  let queues: JobQueue<typeof imageJobCatalog>;
  let queueName: string;
  let leasePrefix: string;

  beforeEach(async () => {
    store = await openStore();
    redis = createRedisConnection(redisServer.url, { role: 'producer' });
    queueName = uniqueQueueName('retention');
    queues = new JobQueue({ catalog: imageJobCatalog, connection: redis, queueNames: [queueName] });
    await queues.waitUntilReady();
    leasePrefix = `retention-${randomUUID()}`;
  });
  afterEach(async () => {
    await queues.close();
    redis.disconnect();
    await store.dispose();
  });

  const hold = (jobId: string) => queues.enqueue({ queue: queueName, name: 'image.edit', jobId, payload: payload() });
  const lease = () => new RedisLease({ redis, prefix: leasePrefix, name: 'retention-sweep', ttlMs: 60_000 });
  const sweeper = (extra: Partial<StorageSweepDeps> & { offsetMs: number }) =>
    createStorageSweepHandler({ storage: store.storage, existingJobIds: (ids) => queues.existingJobIds(ids), clock: () => Date.now() + extra.offsetMs, ...extra });

  it('deletes outputs and previews after the output age and orphans after the minimum age, and nothing else', async () => {
    const held = 'imgjob_held';
    await hold(held);
    const heldInputs = [inputImageKey(held, 0), inputMaskKey(held)];
    const heldImages = [outputImageKey(held, 0, 'png'), outputImageKey(held, 1, 'png'), partialImageKey(held, 0, 0, 'png')];
    // Stored for an edit whose enqueue then failed (its payload did not parse): no job will ever read them.
    const orphan = 'imgjob_never_queued';
    const orphanInputs = [inputImageKey(orphan, 0), inputImageKey(orphan, 1)];
    await expect(queues.enqueue({ queue: queueName, name: 'image.edit', jobId: orphan, payload: { ...payload(), imageKeys: [] } })).rejects.toThrow();
    const others = ['files/file-upload', 'batches/batch_1/rejected/0.jsonl'];
    for (const key of [...heldInputs, ...heldImages, ...orphanInputs, ...others]) await put(store.storage, key);
    const everything = await store.keys();

    expect(await sweeper({ offsetMs: HOUR / 2 })(schedule, sweepContext())).toMatchObject({ scanned: 7, deleted: 0 });
    expect(await store.keys()).toEqual(everything);

    const logger = recordingLogger();
    expect(await sweeper({ offsetMs: 2 * HOUR, logger })(schedule, sweepContext())).toMatchObject({ scanned: 7, deleted: 2 });
    expect(await store.keys()).toEqual([...heldInputs, ...heldImages, ...others].sort());
    expect(logger.lines.map(({ fields }) => [fields.deleted, fields.keys])).toEqual([[2, orphanInputs]]);

    expect(await sweeper({ offsetMs: (OUTPUT_HOURS + 1) * HOUR, logger })(schedule, sweepContext())).toMatchObject({ scanned: 5, deleted: 3 });
    // The job is still queued: what it reads stays; what it made is past its age.
    expect(await store.keys()).toEqual([...heldInputs, ...others].sort());
    expect(await sweeper({ offsetMs: (OUTPUT_HOURS + 1) * HOUR })(schedule, sweepContext())).toMatchObject({ scanned: 2, deleted: 0 });
  });

  it('logs each page it deleted from with its count and first keys', async () => {
    const keys = Array.from({ length: 10 }, (_, i) => outputImageKey(`imgjob_gone${String(i).padStart(2, '0')}`, 0, 'png'));
    for (const key of keys) await put(store.storage, key);
    const logger = recordingLogger();

    expect(await sweeper({ offsetMs: 2 * HOUR, logger })({ ...schedule, pageSize: 4 }, sweepContext())).toMatchObject({ scanned: 10, deleted: 10 });

    const pages = logger.lines.filter((line) => line.message === 'retention sweep deleted objects').map(({ fields }) => fields);
    expect(pages.map((page) => [page.page, page.deleted])).toEqual([[1, 4], [2, 4], [3, 2]]);
    expect(pages[0]!.keys).toEqual(keys.slice(0, 4));
    expect(await store.keys()).toEqual([]);
  });

  it('deletes each object once when two workers sweep at the same time', async () => {
    const live = 'imgjob_live';
    await hold(live);
    const doomed = Array.from({ length: 13 }, (_, i) => inputImageKey(`imgjob_orphan${String(i).padStart(2, '0')}`, 0));
    for (const key of [...doomed, inputImageKey(live, 0), 'files/kept']) await put(store.storage, key);
    const meet = meetingPoint(2);
    // Separate clients, leases and handlers, as two worker processes have; both reach the store together.
    const worker = () => {
      const sweep = createStorageSweepHandler({
        storage: store.client(),
        existingJobIds: (ids) => queues.existingJobIds(ids),
        lease: lease(),
        clock: () => Date.now() + 2 * HOUR,
      });
      return async () => {
        await meet();
        return sweep(schedule, sweepContext());
      };
    };

    const results = await Promise.all([worker()(), worker()()]);

    expect(results.reduce((sum, result) => sum + result.deleted, 0)).toBe(doomed.length);
    expect(results.filter((result) => result.skipped)).toHaveLength(1);
    expect(await store.keys()).toEqual(['files/kept', inputImageKey(live, 0)]);
  });

  it('runs as a job on the maintenance queue: two workers given overlapping sweeps delete each object once between them', async () => {
    const doomed = Array.from({ length: 9 }, (_, i) => outputImageKey(`imgjob_old${i}`, 0, 'png'));
    for (const key of doomed) await put(store.storage, key);
    const maintenanceQueue = `${MAINTENANCE_QUEUE}-${randomUUID()}`;
    const producer = new JobQueue({ catalog: maintenanceJobCatalog, connection: redis, queueNames: [maintenanceQueue], lanes: ['interactive'] });
    await producer.waitUntilReady();
    const meet = meetingPoint(2);
    const workers: WorkerHandle[] = [];
    const consumers: RedisClient[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const sweep = createStorageSweepHandler({ storage: store.client(), existingJobIds: (ids) => queues.existingJobIds(ids), lease: lease(), clock: () => Date.now() + 2 * HOUR });
        workers.push(
          await createJobWorker({
            catalog: maintenanceJobCatalog,
            connection: consumers[consumers.push(createRedisConnection(redisServer.url, { role: 'consumer' })) - 1]!,
            queueName: maintenanceQueue,
            concurrency: 1,
            handlers: {
              'maintenance.sweep': async (payload, context) => {
                await meet();
                return sweep(payload, context);
              },
              'maintenance.expire-files': async () => ({ deleted: 0 }),
            },
          }),
        );
      }
      // What a schedule whose sweep outlasted its interval amounts to: the next sweep starts beside it.
      const ids = ['sweep-a', 'sweep-b'];
      for (const jobId of ids) await producer.enqueue({ queue: maintenanceQueue, name: 'maintenance.sweep', jobId, payload: schedule });
      const results = await waitForResults(producer, maintenanceQueue, ids);

      expect(results.reduce((sum, result) => sum + result.deleted, 0)).toBe(doomed.length);
      expect(await store.keys()).toEqual([]);
    } finally {
      await Promise.all(workers.map((worker) => worker.close(1_000)));
      consumers.forEach((consumer) => consumer.disconnect());
      await producer.close();
    }
  });
});

describe('retention of unfinished local writes', () => {
  it('removes the temp file of a write a crash cut short once it is older than the minimum age', async () => {
    const store = await localStore();
    try {
      await put(store.storage, 'files/kept');
      const crashed = join(store.root!, 'tmp', 'interrupted-upload');
      await writeFile(crashed, 'half a file');
      const twoHoursAgo = (Date.now() - 2 * HOUR) / 1000;
      await utimes(crashed, twoHoursAgo, twoHoursAgo);
      const sweep = createStorageSweepHandler({ storage: store.storage, existingJobIds: async () => new Set() });

      expect(await sweep(schedule, sweepContext())).toEqual({ scanned: 0, deleted: 0, abandoned: 1 });
      expect(await sweep(schedule, sweepContext())).toEqual({ scanned: 0, deleted: 0, abandoned: 0 });
      expect(await store.keys()).toEqual(['files/kept']);
    } finally {
      await store.dispose();
    }
  });
});

async function waitForResults(producer: JobQueue<typeof maintenanceJobCatalog>, queueName: string, jobIds: string[]): Promise<StorageSweepResult[]> {
  const bull = producer.queue(queueName);
  for (let tries = 0; tries < 500; tries++) {
    const records = await Promise.all(jobIds.map((jobId) => readJobRecord(maintenanceJobCatalog, bull, jobId, bull.opts.connection as RedisClient)));
    const failed = records.find((record) => record?.status === 'failed');
    if (failed) throw new Error(`sweep ${failed.id} failed: ${failed.error?.message}`);
    if (records.every((record) => record?.status === 'succeeded')) return records.map((record) => record!.result as StorageSweepResult);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('the sweeps never finished');
}
