import { Queue } from 'bullmq';
import { createImageWorker, ImageJobQueue, readImageJobStatus, type ImageJobEvent, type ImageJobHandlers, type WorkerHandle } from '../src';
import { deferred, generatePayload, handlersFrom, newJobId, resultFor, waitFor, useQueueUnderTest } from './queue-test-kit';

describe(createImageWorker.name, () => {
  const { redis, pool, cleanups, current } = useQueueUnderTest('worker');
  let queueName: string;
  let queues: ImageJobQueue;
  beforeEach(() => {
    ({ queueName, queues } = current);
  });

  async function startWorker(handlers: ImageJobHandlers, extra: Partial<Parameters<typeof createImageWorker>[0]> = {}): Promise<WorkerHandle> {
    const handle = await createImageWorker({ connection: pool.consumer(redis.url), queueName, concurrency: 2, handlers, ...extra });
    cleanups.push(() => handle.close(1_000));
    return handle;
  }

  it('refuses to start without a handler for every catalog job', async () => {
    const handlers = { ...handlersFrom(async (_payload, context) => resultFor(context.jobId)) } as Partial<ImageJobHandlers>;
    delete handlers['image.variation'];

    await expect(createImageWorker({ connection: pool.consumer(redis.url), queueName, concurrency: 1, handlers: handlers as ImageJobHandlers })).rejects.toThrow(
      /no handler for image\.variation/,
    );
  });

  it('fails a job whose data does not parse without running the handler or retrying it', async () => {
    let calls = 0;
    await startWorker(handlersFrom(async (_payload, context) => {
      calls += 1;
      return resultFor(context.jobId);
    }));
    const raw = new Queue(queueName, { connection: pool.producer(redis.url) });
    cleanups.push(() => raw.close());
    const jobId = newJobId();

    await raw.add('image.generate', { prompt: 42 }, { jobId, attempts: 3 });
    await waitFor(async () => (await raw.getJobState(jobId)) === 'failed', 5_000, 'job to fail');

    const job = await raw.getJob(jobId);
    expect(job?.failedReason).toMatch(/^invalid image\.generate payload: .*prompt/);
    expect(job?.attemptsMade).toBe(1);
    expect(calls).toBe(0);
  });

  it('fails a handler result that breaks the result schema without retrying', async () => {
    await startWorker(handlersFrom(async () => ({ images: [], finishedAt: Date.now() })));
    const jobId = newJobId();

    await queues.enqueue('image.generate', generatePayload(), { queue: queueName, jobId });
    await waitFor(async () => (await queues.queue(queueName).getJobState(jobId)) === 'failed', 5_000, 'job to fail');

    const status = await readImageJobStatus(queues.queue(queueName), jobId);
    expect(status).toMatchObject({ status: 'failed', attemptsMade: 1 });
    expect(status?.error?.message).toMatch(/returned an invalid result/);
  });

  it('names its connections so CLIENT LIST and bull-board can tell workers apart', async () => {
    await startWorker(handlersFrom(async (_payload, context) => resultFor(context.jobId)), { name: 'gpu-box-7' });

    const workers = await queues.queue(queueName).getWorkers();
    expect(workers.map((worker) => worker['rawname'])).toContain(`bull:${Buffer.from(queueName).toString('base64')}:w:gpu-box-7`);
  });

  it('hands an in-flight job back at the close deadline so another worker completes it', async () => {
    const events: ImageJobEvent[] = [];
    const started = deferred();
    const first = await startWorker(
      handlersFrom((_payload, context) => {
        started.resolve();
        return new Promise((_resolve, reject) => {
          context.signal.addEventListener('abort', () => reject(new Error('aborted by shutdown')));
        });
      }),
      { name: 'leaving', onJobEvent: (event) => events.push(event) },
    );
    const jobId = newJobId();
    await queues.enqueue('image.generate', generatePayload(), { queue: queueName, jobId });
    await started.promise;

    const closeStartedAt = Date.now();
    await first.close(200);
    expect(Date.now() - closeStartedAt).toBeLessThan(2_000);
    expect(events.map((event) => event.type)).toEqual(['started', 'handed_back']);
    expect(await queues.queue(queueName).getJobState(jobId)).toBe('waiting');

    await startWorker(handlersFrom(async (_payload, context) => resultFor(context.jobId, context.attempt)), { name: 'staying' });
    await waitFor(async () => (await readImageJobStatus(queues.queue(queueName), jobId))?.status === 'succeeded', 5_000, 'second worker to finish');
    const job = await queues.getJob(queueName, jobId);
    expect(job?.processedBy).toBe('staying');
    expect(job?.attemptsMade).toBe(1);
  });

  it('leaves a job whose handler ignores the abort to stalled detection, which gives it to another worker', async () => {
    const started = deferred();
    const ignoring = deferred();
    const first = await startWorker(
      handlersFrom(async (_payload, context) => {
        started.resolve();
        await ignoring.promise;
        return resultFor(context.jobId);
      }),
      // Workers of a queue share stalledInterval: the check holds a queue-wide key for that long.
      { name: 'stubborn', lockDuration: 400, stalledInterval: 200, handBackGraceMs: 100 },
    );
    const jobId = newJobId();
    await queues.enqueue('image.generate', generatePayload(), { queue: queueName, jobId });
    await started.promise;

    await first.close(100);
    await startWorker(handlersFrom(async (_payload, context) => resultFor(context.jobId)), { name: 'rescuer', stalledInterval: 200 });

    await waitFor(async () => (await readImageJobStatus(queues.queue(queueName), jobId))?.status === 'succeeded', 5_000, 'rescuer to finish');
    expect((await queues.getJob(queueName, jobId))?.processedBy).toBe('rescuer');
    ignoring.resolve();
  });
});
