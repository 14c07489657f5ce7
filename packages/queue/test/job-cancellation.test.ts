import { useRedisServer, uniqueQueueName } from '@imageforge/testing';
import { cancelJob, isCancelledReason, type RedisClient, type WorkerHandle, type WorkerJobEvent } from '../src';
import {
  ConnectionPool,
  deferred,
  generatePayload,
  handlersFrom,
  imageJobQueue,
  newJobId,
  readImageRecord,
  resultFor,
  sleep,
  startImageWorker,
  startWaiters,
  waitFor,
  type ImageJobHandlers,
  type ImageJobQueue,
} from './queue-test-kit';

describe(cancelJob.name, () => {
  const redis = useRedisServer();
  const pool = new ConnectionPool();
  let queueName: string;
  let queues: ImageJobQueue;
  let producer: RedisClient;
  const cleanups: Array<() => Promise<void>> = [];

  beforeEach(async () => {
    queueName = uniqueQueueName('cancel');
    producer = pool.producer(redis.url);
    queues = imageJobQueue(producer, [queueName]);
    await queues.waitUntilReady();
    cleanups.push(() => queues.close());
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    pool.closeAll();
  });

  async function startWorker(handlers: ImageJobHandlers, onJobEvent?: (event: WorkerJobEvent) => void): Promise<WorkerHandle> {
    const handle = await startImageWorker({ connection: pool.consumer(redis.url), queueName, concurrency: 2, handlers, ...(onJobEvent ? { onJobEvent } : {}) });
    cleanups.push(() => handle.close(1_000));
    return handle;
  }

  it('takes a waiting job off the queue, reports it cancelled, and settles its waiter', async () => {
    const { waiters, close } = await startWaiters(pool.consumer(redis.url), [queueName]);
    cleanups.push(close);
    const jobId = newJobId();
    const waiter = waiters.register(jobId, { queue: queueName });
    await queues.enqueue({ queue: queueName, name: 'image.generate', payload: generatePayload(), jobId });

    expect(await cancelJob(queues.queue(queueName), producer, jobId)).toBe('cancelled');

    const status = await readImageRecord(queues.queue(queueName), jobId);
    expect(status).toMatchObject({ status: 'cancelled', attemptsMade: 1 });
    expect(isCancelledReason(status?.error?.message)).toBe(true);
    const outcome = await waiter.promise;
    expect(outcome.status === 'cancelled' && isCancelledReason(outcome.reason)).toBe(true);

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
    const events: WorkerJobEvent[] = [];
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
    await queues.enqueue({ queue: queueName, name: 'image.generate', payload: generatePayload(), jobId });
    await started.promise;

    expect(await cancelJob(queues.queue(queueName), producer, jobId)).toBe('cancelling');

    await waitFor(async () => (await readImageRecord(queues.queue(queueName), jobId))?.status === 'cancelled', 5_000, 'job to be cancelled');
    expect(sawAbort).toBe(true);
    await sleep(200);
    const status = await readImageRecord(queues.queue(queueName), jobId);
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
    await queues.enqueue({ queue: queueName, name: 'image.generate', payload: generatePayload(), jobId });
    // After attempt 1 the job sits in `delayed` for its 1 s backoff.
    await waitFor(async () => (await queues.queue(queueName).getJobState(jobId)) === 'delayed', 5_000, 'retry backoff');

    expect(await cancelJob(queues.queue(queueName), producer, jobId)).toBe('cancelled');

    await sleep(1_200);
    expect(attempts).toEqual([1]);
    expect((await readImageRecord(queues.queue(queueName), jobId))?.status).toBe('cancelled');
  });

  it('leaves finished and unknown jobs alone', async () => {
    await startWorker(handlersFrom(async (_payload, context) => resultFor(context.jobId)));
    const jobId = newJobId();
    await queues.enqueue({ queue: queueName, name: 'image.generate', payload: generatePayload(), jobId });
    await waitFor(async () => (await queues.queue(queueName).getJobState(jobId)) === 'completed', 5_000, 'job to complete');

    expect(await cancelJob(queues.queue(queueName), producer, jobId)).toBe('already_finished');
    expect(await cancelJob(queues.queue(queueName), producer, newJobId())).toBe('not_found');
    expect((await readImageRecord(queues.queue(queueName), jobId))?.status).toBe('succeeded');
  });

  it('fails an attempt as cancelled even when the worker missed the cancel message', async () => {
    const gate = deferred();
    const started = deferred();
    const attempts: number[] = [];
    // The worker's subscriber inherits a 1.5 s reconnect delay, so killing it loses the message.
    const handle = await startImageWorker({
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
    await queues.enqueue({ queue: queueName, name: 'image.generate', payload: generatePayload(), jobId });
    await started.promise;
    expect(await producer.call('CLIENT', 'KILL', 'TYPE', 'pubsub')).toBeGreaterThan(0);

    expect(await cancelJob(queues.queue(queueName), producer, jobId)).toBe('cancelling');
    gate.resolve();

    await waitFor(async () => (await readImageRecord(queues.queue(queueName), jobId))?.status === 'cancelled', 5_000, 'job to be cancelled');
    expect(attempts).toEqual([1]);
    // Closed while reconnecting, ioredis arms a 2 s socket-destroy timer that nothing clears.
    await waitFor(async () => String(await producer.call('CLIENT', 'LIST', 'TYPE', 'pubsub')).includes('name=imageforge:worker:deaf:cancel '), 5_000, 'cancel subscriber to reconnect');
  });
});
