import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imageJobCatalog, ImageJobResultSchema, type ImageJobCatalog } from '@imageforge/jobs';
import { createRedisConnection, JobQueue, readJobRecord, type RedisClient } from '@imageforge/queue';
import { uniqueQueueName, useRedisServer } from '@imageforge/testing';
import { parseWorkerConfig } from '../src/worker-config';
import { startWorker, type RunningWorker } from '../src/worker-runtime';
import { generatePayload, listLocalKeys, newJobId, waitFor, writeRegistry } from './worker-fixtures';

describe(startWorker.name, () => {
  const redis = useRedisServer();
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'worker-runtime-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const configFor = (env: Record<string, string>) =>
    parseWorkerConfig({ REDIS_URL: redis.url, STORAGE_LOCAL_DIR: join(dir, 'objects'), LOG_LEVEL: 'silent', ...env });

  it('processes a generate job added through the producer and stores its n images', async () => {
    const queueName = uniqueQueueName('worker');
    const registryPath = await writeRegistry(dir, queueName, {});
    const worker: RunningWorker = await startWorker(configFor({ MODEL_REGISTRY_PATH: registryPath, WORKER_CONCURRENCY: '2' }));
    const producer = createRedisConnection(redis.url, { role: 'producer' });
    const queue = new JobQueue({ catalog: imageJobCatalog, connection: producer, queueNames: [queueName] });
    try {
      expect(worker.queues).toEqual([queueName]);
      await queue.waitUntilReady();
      const jobId = newJobId();
      await queue.enqueue({ queue: queueName, name: 'image.generate', payload: generatePayload(3), jobId });

      // State first, then the job: a job read before it completed keeps its empty returnvalue.
      const job = await waitFor(async () => ((await queue.queue(queueName).getJobState(jobId)) === 'completed' ? queue.queue(queueName).getJob(jobId) : undefined), 10_000, 'the job to complete');

      const result = ImageJobResultSchema.parse(job.returnvalue);
      expect(result.images.map((image) => image.key)).toEqual([0, 1, 2].map((i) => `jobs/${jobId}/output/${i}.png`));
      expect(await listLocalKeys(join(dir, 'objects'), `jobs/${jobId}/`)).toEqual(result.images.map((image) => image.key));
      // Done in well under a progress interval: no report was worth a Redis write; the record says 100.
      expect(job.progress).toBe(0);
      expect((await readJobRecord(imageJobCatalog, queue.queue(queueName), jobId, producer))?.progress).toBe(100);
    } finally {
      await queue.close();
      await producer.quit();
      await worker.close();
    }
  });

  it('refuses to start when an engine cannot load, naming the engine and its models', async () => {
    const queueName = uniqueQueueName('worker');
    const registryPath = await writeRegistry(dir, queueName, { kind: 'teleporter' });
    await expect(startWorker(configFor({ MODEL_REGISTRY_PATH: registryPath }))).rejects.toThrow(/engine teleporter for gpt-image-1 failed to load: unknown engine kind/);
  });

  it('refuses to serve a queue that no model in the registry is routed to', async () => {
    const registryPath = await writeRegistry(dir, uniqueQueueName('worker'), {});
    await expect(startWorker(configFor({ MODEL_REGISTRY_PATH: registryPath, WORKER_QUEUES: 'nobody-routes-here' }))).rejects.toThrow(
      /WORKER_QUEUES names nobody-routes-here/,
    );
  });

  it('schedules the retention sweep on the maintenance queue and runs it: old objects of vanished jobs go, the rest stays', async () => {
    const queueName = uniqueQueueName('worker');
    const registryPath = await writeRegistry(dir, queueName, {});
    const root = join(dir, `sweep-${queueName}`);
    const writeObject = async (key: string, ageSeconds: number) => {
      const path = join(root, 'objects', key);
      await mkdir(join(path, '..'), { recursive: true });
      await writeFile(path, key);
      const at = (Date.now() - ageSeconds * 1000) / 1000;
      await utimes(path, at, at);
    };
    await writeObject('jobs/imgjob_vanished/output/0.png', 7_200);
    await writeObject('jobs/imgjob_recent/input/image-0', 10);
    await writeObject('files/unrelated', 7_200);
    // Its own key prefix: the sweep's schedule and queue belong to this test alone.
    const worker = await startWorker(
      configFor({ MODEL_REGISTRY_PATH: registryPath, STORAGE_LOCAL_DIR: root, QUEUE_PREFIX: `sweep${Date.now()}`, RETENTION_SWEEP_INTERVAL_MS: '60000', RETENTION_MIN_AGE_SECONDS: '3600' }),
    );
    try {
      await waitFor(async () => !(await listLocalKeys(root, 'jobs/')).includes('jobs/imgjob_vanished/output/0.png'), 10_000, 'the sweep');
      expect(await listLocalKeys(root, '')).toEqual(['files/unrelated', 'jobs/imgjob_recent/input/image-0']);
    } finally {
      await worker.close();
    }
  });
});
