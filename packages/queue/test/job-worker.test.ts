import { Queue } from 'bullmq';
import { z } from 'zod';
import { defineJobCatalog, imageJobCatalog, PermanentJobError } from '@imageforge/jobs';
import { createJobWorker, JobQueue, readJobRecord, type RedisClient, type WorkerHandle, type WorkerJobEvent } from '../src';
import {
  deferred,
  generatePayload,
  handlersFrom,
  newJobId,
  prefixOf,
  readImageRecord,
  resultFor,
  startImageWorker,
  startWaiters,
  useQueueUnderTest,
  waitFor,
  type ImageJobHandlers,
  type ImageJobQueue,
} from './queue-test-kit';

/** A job family that has nothing to do with images: the platform must run it all the same. */
const echoCatalog = defineJobCatalog({
  'text.echo': {
    operation: 'echo',
    payload: z.object({ text: z.string().min(1) }),
    result: z.object({ echoed: z.string(), attempt: z.number() }),
    options: { attempts: 2, backoff: { type: 'fixed', delay: 10 }, removeOnComplete: { age: 60, count: 100 }, removeOnFail: { age: 60, count: 100 } },
  },
});

describe(createJobWorker.name, () => {
  const { redis, pool, cleanups, current } = useQueueUnderTest('worker');
  let queueName: string;
  let queues: ImageJobQueue;
  beforeEach(() => {
    ({ queueName, queues } = current);
  });

  async function startWorker(handlers: ImageJobHandlers, extra: Partial<Parameters<typeof startImageWorker>[0]> = {}): Promise<WorkerHandle> {
    const handle = await startImageWorker({ connection: pool.consumer(redis.url), queueName, concurrency: 2, handlers, ...extra });
    cleanups.push(() => handle.close(1_000));
    return handle;
  }

  it('refuses to start without a handler for every catalog job', async () => {
    const handlers = { ...handlersFrom(async (_payload, context) => resultFor(context.jobId)) } as Partial<ImageJobHandlers>;
    delete handlers['image.variation'];

    await expect(startImageWorker({ connection: pool.consumer(redis.url), queueName, concurrency: 1, handlers: handlers as ImageJobHandlers })).rejects.toThrow(
      /no handler for image\.variation/,
    );
  });

  it('fails a job whose data does not parse without running the handler or retrying it', async () => {
    let calls = 0;
    await startWorker(handlersFrom(async (_payload, context) => {
      calls += 1;
      return resultFor(context.jobId);
    }));
    const raw = new Queue(queueName, { connection: pool.producer(redis.url), prefix: prefixOf(queueName) });
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

    await queues.enqueue({ queue: queueName, name: 'image.generate', payload: generatePayload(), jobId });
    await waitFor(async () => (await queues.queue(queueName).getJobState(jobId)) === 'failed', 5_000, 'job to fail');

    const status = await readImageRecord(queues.queue(queueName), jobId);
    expect(status).toMatchObject({ status: 'failed', attemptsMade: 1 });
    expect(status?.error?.message).toMatch(/returned an invalid result/);
  });

  it('names its connections so CLIENT LIST and bull-board can tell workers apart', async () => {
    await startWorker(handlersFrom(async (_payload, context) => resultFor(context.jobId)), { name: 'gpu-box-7' });

    const workers = await queues.queue(queueName).getWorkers();
    expect(workers.map((worker) => worker['rawname'])).toContain(`${prefixOf(queueName)}:${Buffer.from(queueName).toString('base64')}:w:gpu-box-7`);
  });

  it('hands an in-flight job back at the close deadline so another worker completes it', async () => {
    const events: WorkerJobEvent[] = [];
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
    await queues.enqueue({ queue: queueName, name: 'image.generate', payload: generatePayload(), jobId });
    await started.promise;

    const closeStartedAt = Date.now();
    await first.close(200);
    expect(Date.now() - closeStartedAt).toBeLessThan(2_000);
    expect(events.map((event) => event.type)).toEqual(['started', 'handed_back']);
    expect(await queues.queue(queueName).getJobState(jobId)).toBe('waiting');

    await startWorker(handlersFrom(async (_payload, context) => resultFor(context.jobId, context.attempt)), { name: 'staying' });
    await waitFor(async () => (await readImageRecord(queues.queue(queueName), jobId))?.status === 'succeeded', 5_000, 'second worker to finish');
    const job = await queues.queue(queueName).getJob(jobId);
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
    await queues.enqueue({ queue: queueName, name: 'image.generate', payload: generatePayload(), jobId });
    await started.promise;

    await first.close(100);
    await startWorker(handlersFrom(async (_payload, context) => resultFor(context.jobId)), { name: 'rescuer', stalledInterval: 200 });

    await waitFor(async () => (await readImageRecord(queues.queue(queueName), jobId))?.status === 'succeeded', 5_000, 'rescuer to finish');
    expect((await queues.queue(queueName).getJob(jobId))?.processedBy).toBe('rescuer');
    ignoring.resolve();
  });

  it('fails a job at once when its handler throws PermanentJobError, without spending its attempts', async () => {
    const attempts: number[] = [];
    await startWorker(handlersFrom(async (_payload, context) => {
      attempts.push(context.attempt);
      throw new PermanentJobError('the input can never be read');
    }));
    const jobId = newJobId();

    await queues.enqueue({ queue: queueName, name: 'image.generate', payload: generatePayload(), jobId });
    await waitFor(async () => (await queues.queue(queueName).getJobState(jobId)) === 'failed', 5_000, 'job to fail');

    expect(attempts).toEqual([1]);
    expect((await readImageRecord(queues.queue(queueName), jobId))?.error?.message).toBe('the input can never be read');
  });

  it('runs a catalog of another job family through the same producer, worker, waiters and record reads', async () => {
    const echoQueue = `${queueName}-echo`;
    const producer = new JobQueue({ catalog: echoCatalog, connection: pool.producer(redis.url), queueNames: [echoQueue] });
    cleanups.push(() => producer.close());
    const handle = await createJobWorker({
      catalog: echoCatalog,
      connection: pool.consumer(redis.url),
      queueName: echoQueue,
      concurrency: 1,
      handlers: {
        'text.echo': async (payload, context) => {
          if (context.attempt === 1) throw new Error('transient');
          return { echoed: payload.text.toUpperCase(), attempt: context.attempt };
        },
      },
    });
    cleanups.push(() => handle.close(1_000));
    const { waiters, close } = await startWaiters(pool.consumer(redis.url), [echoQueue]);
    cleanups.push(close);
    const jobId = newJobId();

    const waiter = waiters.register(jobId, { queue: echoQueue });
    await producer.enqueue({ queue: echoQueue, name: 'text.echo', payload: { text: 'hello' }, jobId });

    expect(await waiter.promise).toEqual({ status: 'succeeded', result: { echoed: 'HELLO', attempt: 2 } });
    const echo = producer.queue(echoQueue);
    const record = await readJobRecord(echoCatalog, echo, jobId, echo.opts.connection as RedisClient);
    expect(record).toMatchObject({ name: 'text.echo', status: 'succeeded', attemptsMade: 2, payload: { text: 'hello' }, result: { echoed: 'HELLO' } });
    // A job of another catalog on the same Redis is not mistaken for one of this catalog.
    expect(await readJobRecord(imageJobCatalog, echo, jobId, echo.opts.connection as RedisClient)).toBeNull();
  });
});
