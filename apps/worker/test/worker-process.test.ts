import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imageJobCatalog, ImageJobResultSchema, type ImageJobCatalog } from '@imageforge/jobs';
import { createRedisConnection, JobQueue, type RedisClient } from '@imageforge/queue';
import { uniqueQueueName, useRedisServer } from '@imageforge/testing';
import { generatePayload, listLocalKeys, newJobId, spawnWorker, waitFor, writeRegistry, type WorkerProcess } from './worker-fixtures';

/** The worker as a separate process, started by main.ts from its environment, as deployments run it. */
describe('the worker process', () => {
  const redis = useRedisServer();
  let dir: string;
  let storageRoot: string;
  let producer: RedisClient | undefined;
  let queue: JobQueue<ImageJobCatalog> | undefined;
  const spawned: WorkerProcess[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'worker-process-'));
    storageRoot = join(dir, 'objects');
  });
  afterEach(async () => {
    for (const worker of spawned.splice(0)) {
      worker.child.kill('SIGKILL');
      await worker.exited;
    }
    await queue?.close();
    await producer?.quit();
    queue = undefined;
    producer = undefined;
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** A queue of its own served by a synthetic engine taking `delayMsPerImage`, and the env to serve it. */
  async function setUp(delayMsPerImage: number, env: Record<string, string> = {}) {
    const queueName = uniqueQueueName('worker');
    const registryPath = await writeRegistry(dir, queueName, { delayMsPerImage });
    producer = createRedisConnection(redis.url, { role: 'producer' });
    queue = new JobQueue({ catalog: imageJobCatalog, connection: producer, queueNames: [queueName] });
    await queue.waitUntilReady();
    const jobs = queue;
    return {
      env: { REDIS_URL: redis.url, WORKER_QUEUES: queueName, MODEL_REGISTRY_PATH: registryPath, STORAGE_LOCAL_DIR: storageRoot, ...env },
      start(workerEnv: Record<string, string>) {
        const worker = spawnWorker(workerEnv);
        spawned.push(worker);
        return worker;
      },
      async enqueue(n: number) {
        const jobId = newJobId();
        await jobs.enqueue({ queue: queueName, name: 'image.generate', payload: generatePayload(n), jobId });
        return jobId;
      },
      job: async (jobId: string) => (await jobs.queue(queueName).getJob(jobId))!,
    };
  }

  it('completes a job with exactly n stored images after the worker running it is killed mid-job', async () => {
    const n = 2;
    const stack = await setUp(1500, { WORKER_LOCK_DURATION_MS: '2000', WORKER_STALLED_INTERVAL_MS: '300' });
    const first = stack.start(stack.env);
    await first.waitForLog('worker started', 20_000);
    const jobId = await stack.enqueue(n);
    await waitFor(async () => Number((await stack.job(jobId)).progress) > 0, 10_000, 'inference to make progress');

    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    expect(await stack.job(jobId).then((job) => job.getState())).toBe('active');
    const second = stack.start(stack.env);

    const job = await waitFor(async () => {
      // Read the job again once completed: a copy read while it was active has no return value.
      const state = await (await stack.job(jobId)).getState();
      return state === 'completed' ? stack.job(jobId) : undefined;
    }, 25_000, 'the job to complete on the second worker');
    expect({ started: job.attemptsStarted, stalled: job.stalledCounter }).toEqual({ started: 2, stalled: 1 });
    const result = ImageJobResultSchema.parse(job.returnvalue);
    expect(await listLocalKeys(storageRoot, `jobs/${jobId}/output/`)).toEqual(result.images.map((image) => image.key).sort());
    expect(result.images).toHaveLength(n);
    expect(second.logs.some((log) => log.msg === 'job completed' && log.jobId === jobId)).toBe(true);
  }, 60_000);

  it('completes a job whose workers are killed twice in a row while running it, within its attempts', async () => {
    const stack = await setUp(1500, { WORKER_LOCK_DURATION_MS: '2000', WORKER_STALLED_INTERVAL_MS: '300' });
    const jobId = await stack.enqueue(1);
    for (let crash = 1; crash <= 2; crash++) {
      const doomed = stack.start(stack.env);
      await doomed.waitForLog('job started', 20_000, { jobId });
      doomed.child.kill('SIGKILL');
      await doomed.exited;
      expect(await stack.job(jobId).then((job) => job.getState())).toBe('active');
    }
    const survivor = stack.start(stack.env);

    const job = await waitFor(async () => {
      const state = await (await stack.job(jobId)).getState();
      return state === 'completed' ? stack.job(jobId) : undefined;
    }, 25_000, 'the job to complete on the third worker');
    // Each crash is one stall; at the default WORKER_MAX_STALLED_COUNT of 2 the job lives on and spends no attempt.
    expect({ started: job.attemptsStarted, stalled: job.stalledCounter, attemptsMade: job.attemptsMade }).toEqual({ started: 3, stalled: 2, attemptsMade: 1 });
    // Logged before BullMQ records the completion, but read through a pipe: wait for the line.
    await survivor.waitForLog('job completed', 5_000, { jobId });
  }, 60_000);

  it('finishes the running job on SIGTERM, then exits 0 within the deadline', async () => {
    const stack = await setUp(1500, { WORKER_SHUTDOWN_TIMEOUT_MS: '10000' });
    const worker = stack.start(stack.env);
    await worker.waitForLog('worker started', 20_000);
    const jobId = await stack.enqueue(1);
    await worker.waitForLog('job started', 10_000, { jobId });

    const signalledAt = Date.now();
    worker.child.kill('SIGTERM');
    const exit = await worker.exited;

    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalledAt).toBeLessThan(10_000);
    expect(await (await stack.job(jobId)).getState()).toBe('completed');
    expect(await listLocalKeys(storageRoot, `jobs/${jobId}/output/`)).toEqual([`jobs/${jobId}/output/0.png`]);
  }, 60_000);

  it('hands a job that outlasts the SIGTERM deadline back to the queue and exits 0 soon after the deadline', async () => {
    const deadlineMs = 500;
    const stack = await setUp(20_000, { WORKER_SHUTDOWN_TIMEOUT_MS: String(deadlineMs) });
    const worker = stack.start(stack.env);
    await worker.waitForLog('worker started', 20_000);
    const jobId = await stack.enqueue(1);
    await worker.waitForLog('job started', 10_000, { jobId });

    const signalledAt = Date.now();
    worker.child.kill('SIGTERM');
    const exit = await worker.exited;

    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalledAt).toBeLessThan(deadlineMs + 4_000);
    const job = await stack.job(jobId);
    expect({ state: await job.getState(), attemptsMade: job.attemptsMade }).toEqual({ state: 'waiting', attemptsMade: 0 });
    expect(worker.logs.some((log) => log.msg === 'job handed back' && log.jobId === jobId)).toBe(true);
  }, 60_000);

  it('refuses to start with a bad configuration, naming every bad variable at once', async () => {
    const worker = spawnWorker({ REDIS_URL: 'http://not-redis', WORKER_CONCURRENCY: '0', STORAGE_DRIVER: 'ftp' });
    spawned.push(worker);
    const exit = await worker.exited;
    expect(exit.code).toBe(1);
    for (const key of ['REDIS_URL', 'WORKER_CONCURRENCY', 'STORAGE_DRIVER']) expect(worker.stderr()).toContain(`  ${key}: `);
  }, 20_000);
});
