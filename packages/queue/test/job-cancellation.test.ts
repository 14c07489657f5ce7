import type { Redis } from 'ioredis';
import { useRedisServer, uniqueQueueName } from '@imageforge/testing';
import {
  cancelImageJob,
  CompletionWaiters,
  createImageWorker,
  ImageJobQueue,
  isCancelledReason,
  readImageJobStatus,
  type ImageJobEvent,
  type ImageJobHandlers,
  type WorkerHandle,
} from '../src';
import { ConnectionPool, deferred, generatePayload, handlersFrom, newJobId, resultFor, sleep, waitFor } from './queue-test-kit';

describe(cancelImageJob.name, () => {
  const redis = useRedisServer();
  const pool = new ConnectionPool();
  let queueName: string;
  let queues: ImageJobQueue;
  let producer: Redis;
  const cleanups: Array<() => Promise<void>> = [];

  beforeEach(async () => {
    queueName = uniqueQueueName('cancel');
    producer = pool.producer(redis.url);
    queues = new ImageJobQueue({ connection: producer, queueNames: [queueName] });
    await queues.waitUntilReady();
    cleanups.push(() => queues.close());
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    pool.closeAll();
  });

  async function startWorker(handlers: ImageJobHandlers, onJobEvent?: (event: ImageJobEvent) => void): Promise<WorkerHandle> {
    const handle = await createImageWorker({ connection: pool.consumer(redis.url), queueName, concurrency: 2, handlers, ...(onJobEvent ? { onJobEvent } : {}) });
    cleanups.push(() => handle.close(1_000));
    return handle;
  }

  it('takes a waiting job off the queue, reports it cancelled, and settles its waiter', async () => {
    const waiters = new CompletionWaiters({ connection: pool.consumer(redis.url), queueNames: [queueName] });
    await waiters.waitUntilReady();
    cleanups.push(() => waiters.close());
    const jobId = newJobId();
    const waiter = waiters.register(jobId, { queue: queueName, name: 'image.generate' });
    await queues.enqueue('image.generate', generatePayload(), { queue: queueName, jobId });

    expect(await cancelImageJob(queues.queue(queueName), producer, jobId)).toBe('cancelled');

    const status = await readImageJobStatus(queues.queue(queueName), jobId);
    expect(status).toMatchObject({ status: 'cancelled', attemptsMade: 1 });
    expect(isCancelledReason(status?.error?.message)).toBe(true);
    const outcome = await waiter.promise;
    expect(outcome.state === 'failed' && isCancelledReason(outcome.failedReason)).toBe(true);

    let ran = false;
    await startWorker(handlersFrom(async (_payload, context) => {
      ran = true;
      return resultFor(context.jobId);
    }));
    await sleep(200);
    expect(ran).toBe(false);
    expect(await queues.queue(queueName).getWaitingCount()).toBe(0);
  });

  it('aborts an active job in the worker running it and fails it as cancelled without a retry', async () => {
    const started = deferred();
    let sawAbort = false;
    const events: ImageJobEvent[] = [];
    await startWorker(
      handlersFrom((_payload, context) => {
        started.resolve();
        return new Promise((_resolve, reject) => {
          context.signal.addEventListener('abort', () => {
            sawAbort = context.signal.aborted;
            reject(new Error('engine stopped'));
          });
        });
      }),
      (event) => events.push(event),
    );
    const jobId = newJobId();
    await queues.enqueue('image.generate', generatePayload(), { queue: queueName, jobId });
    await started.promise;

    expect(await cancelImageJob(queues.queue(queueName), producer, jobId)).toBe('cancelling');

    await waitFor(async () => (await readImageJobStatus(queues.queue(queueName), jobId))?.status === 'cancelled', 5_000, 'job to be cancelled');
    expect(sawAbort).toBe(true);
    await sleep(200);
    const status = await readImageJobStatus(queues.queue(queueName), jobId);
    expect(status).toMatchObject({ status: 'cancelled', attemptsMade: 1 });
    expect(events.map((event) => event.type)).toEqual(['started', 'cancelled']);
  });

  it('cancels a job that is waiting out its retry backoff so it never runs again', async () => {
    const attempts: number[] = [];
    await startWorker(handlersFrom(async (_payload, context) => {
      attempts.push(context.attempt);
      throw new Error('transient fault');
    }));
    const jobId = newJobId();
    await queues.enqueue('image.generate', generatePayload(), { queue: queueName, jobId });
    // After attempt 1 the job sits in `delayed` for its 1 s backoff.
    await waitFor(async () => (await queues.queue(queueName).getJobState(jobId)) === 'delayed', 5_000, 'retry backoff');

    expect(await cancelImageJob(queues.queue(queueName), producer, jobId)).toBe('cancelled');

    await sleep(1_200);
    expect(attempts).toEqual([1]);
    expect((await readImageJobStatus(queues.queue(queueName), jobId))?.status).toBe('cancelled');
  });

  it('leaves finished and unknown jobs alone', async () => {
    await startWorker(handlersFrom(async (_payload, context) => resultFor(context.jobId)));
    const jobId = newJobId();
    await queues.enqueue('image.generate', generatePayload(), { queue: queueName, jobId });
    await waitFor(async () => (await queues.queue(queueName).getJobState(jobId)) === 'completed', 5_000, 'job to complete');

    expect(await cancelImageJob(queues.queue(queueName), producer, jobId)).toBe('already_finished');
    expect(await cancelImageJob(queues.queue(queueName), producer, newJobId())).toBe('not_found');
    expect((await readImageJobStatus(queues.queue(queueName), jobId))?.status).toBe('succeeded');
  });

  it('fails an attempt as cancelled even when the worker missed the cancel message', async () => {
    const gate = deferred();
    const started = deferred();
    const attempts: number[] = [];
    // The worker's subscriber inherits a 1.5 s reconnect delay, so killing it loses the message.
    const handle = await createImageWorker({
      connection: pool.consumer(redis.url, 'slow-reconnect', 1_500),
      queueName,
      concurrency: 1,
      name: 'deaf',
      handlers: handlersFrom(async (_payload, context) => {
        attempts.push(context.attempt);
        started.resolve();
        await gate.promise;
        throw new Error('transient fault');
      }),
    });
    cleanups.push(() => handle.close(1_000));
    const jobId = newJobId();
    await queues.enqueue('image.generate', generatePayload(), { queue: queueName, jobId });
    await started.promise;
    expect(await producer.call('CLIENT', 'KILL', 'TYPE', 'pubsub')).toBeGreaterThan(0);

    expect(await cancelImageJob(queues.queue(queueName), producer, jobId)).toBe('cancelling');
    gate.resolve();

    await waitFor(async () => (await readImageJobStatus(queues.queue(queueName), jobId))?.status === 'cancelled', 5_000, 'job to be cancelled');
    expect(attempts).toEqual([1]);
  });
});
