import { isDeadlineExceededReason, isExpiredReason, type EnqueueRequest, type ImageJobCatalog, type JobDeadline, type SettledJob } from '@imageforge/jobs';
import { BullmqJobGateway, cancelJob, createLaneWorkers, type RedisClient, type WorkerJobEvent } from '../src';
import {
  deferred,
  generatePayload,
  handlersFrom,
  newJobId,
  readImageRecord,
  resultFor,
  sleep,
  startImageWorker,
  startWaiters,
  useQueueUnderTest,
  waitFor,
  type ImageJobHandlers,
} from './queue-test-kit';

describe('job deadlines, cancels that spare started jobs, and lane load', () => {
  const { redis, pool, cleanups, current } = useQueueUnderTest('deadlines');

  function job(deadline?: JobDeadline): EnqueueRequest<ImageJobCatalog> {
    return { queue: current.queueName, name: 'image.generate', payload: { ...generatePayload(), lane: 'interactive', ...(deadline ? { deadline } : {}) }, jobId: newJobId(), lane: 'interactive' };
  }

  async function startWorker(handlers: ImageJobHandlers, observe: { events?: WorkerJobEvent[]; settled?: SettledJob<ImageJobCatalog>[] } = {}) {
    const handle = await startImageWorker({
      connection: pool.consumer(redis.url),
      queueName: current.queueName,
      concurrency: 2,
      handlers,
      onJobEvent: (event) => observe.events?.push(event),
      onSettled: async (settled) => void observe.settled?.push(settled),
    });
    cleanups.push(() => handle.close(1_000));
    return handle;
  }

  let producer: RedisClient;
  beforeEach(async () => {
    producer = pool.producer(redis.url);
    if (producer.status !== 'ready') await new Promise((resolve) => producer.once('ready', resolve));
  });
  const gateway = () => new BullmqJobGateway({ queue: current.queues, connection: producer });
  const bull = () => current.queues.queue(current.queueName);

  it('ends a job taken after its queue-wait deadline as expired, without running it, and tells waiters and hooks', async () => {
    const { waiters, close } = await startWaiters(pool.consumer(redis.url), [current.queueName]);
    cleanups.push(close);
    const late = job({ startBy: Date.now() - 1, queueWaitMs: 250 });
    const waiter = waiters.register(late.jobId, { queue: current.queueName });
    await current.queues.enqueue(late);
    const ran: string[] = [];
    const events: WorkerJobEvent[] = [];
    const settled: SettledJob<ImageJobCatalog>[] = [];
    await startWorker(handlersFrom(async (_payload, context) => (ran.push(context.jobId), resultFor(context.jobId))), { events, settled });

    const outcome = await waiter.promise;
    expect(outcome.status).toBe('expired');
    const record = await readImageRecord(bull(), late.jobId);
    expect(record).toMatchObject({ status: 'expired', attemptsMade: 1 });
    expect(isExpiredReason(record?.error?.message)).toBe(true);
    expect(record?.error?.message).toContain('250 ms');
    expect(ran).toEqual([]);
    expect(events.map((event) => event.type)).toEqual(['expired']);
    expect(settled.map((entry) => entry.outcome.status)).toEqual(['expired']);
  });

  it('runs a job taken before its queue-wait deadline', async () => {
    const timely = job({ startBy: Date.now() + 60_000, queueWaitMs: 60_000 });
    await current.queues.enqueue(timely);
    await startWorker(handlersFrom(async (_payload, context) => resultFor(context.jobId)));
    await waitFor(async () => (await readImageRecord(bull(), timely.jobId))?.status === 'succeeded', 5_000, 'the job to succeed');
  });

  it('aborts a run past its run deadline through the handler signal and fails it for good, naming the deadline', async () => {
    const overrun = job({ runMs: 150 });
    await current.queues.enqueue(overrun);
    let runs = 0;
    let sawAbort = false;
    await startWorker(
      handlersFrom((_payload, context) => {
        runs += 1;
        return new Promise((_resolve, reject) => {
          context.signal.addEventListener('abort', () => {
            sawAbort = true;
            reject(new Error('aborted by the engine'));
          });
        });
      }),
    );
    await waitFor(async () => (await readImageRecord(bull(), overrun.jobId))?.status === 'failed', 5_000, 'the job to fail');
    const record = await readImageRecord(bull(), overrun.jobId);
    expect(isDeadlineExceededReason(record?.error?.message)).toBe(true);
    expect(record?.error?.message).toContain('150 ms');
    expect(sawAbort).toBe(true);
    await sleep(1_200);
    // The catalog allows three attempts; a deadline is not worth another.
    expect(runs).toBe(1);
  });

  it('cancels a waiting job when asked to spare started ones, and leaves a running one to finish', async () => {
    const release = deferred();
    const started = deferred();
    const running = job();
    const waiting = job();
    await current.queues.enqueue(running);
    const handle = await startImageWorker({
      connection: pool.consumer(redis.url),
      queueName: current.queueName,
      concurrency: 1,
      handlers: handlersFrom(async (_payload, context) => {
        started.resolve();
        await release.promise;
        return resultFor(context.jobId);
      }),
    });
    cleanups.push(() => handle.close(1_000));
    await started.promise;
    await current.queues.enqueue(waiting);

    expect(await cancelJob(bull(), producer, running.jobId, { ifNotStarted: true })).toBe('started');
    expect(await cancelJob(bull(), producer, waiting.jobId, { ifNotStarted: true, reason: 'the caller left' })).toBe('cancelled');
    release.resolve();
    await waitFor(async () => (await readImageRecord(bull(), running.jobId))?.status === 'succeeded', 5_000, 'the running job to succeed');
    expect(await readImageRecord(bull(), waiting.jobId)).toMatchObject({ status: 'cancelled', error: { message: 'cancelled: the caller left' } });
  });

  it('drops a job a worker holds at its gate, waiting for a slot, when asked to spare started ones', async () => {
    const release = deferred();
    const ran: string[] = [];
    const lanes = await createLaneWorkers({
      catalog: current.queues.catalog,
      connection: pool.consumer(redis.url),
      queue: current.queueName,
      concurrency: 1,
      handlers: handlersFrom(async (_payload, context) => {
        ran.push(context.jobId);
        await release.promise;
        return resultFor(context.jobId);
      }),
    });
    cleanups.push(() => lanes.close(1_000));
    const first = job();
    const held = job();
    await current.queues.enqueue(first);
    await waitFor(() => ran.length === 1, 5_000, 'the first job to start');
    await current.queues.enqueue(held);
    // Taken into `active` by the one lane worker, but the gate's only slot is busy.
    await waitFor(async () => (await bull().getActiveCount()) === 2, 5_000, 'the second job to be held at the gate');
    expect((await readImageRecord(bull(), held.jobId))?.status).toBe('queued');
    expect(await gateway().laneLoad(current.queueName, 'interactive')).toMatchObject({ waiting: 1, running: 1 });

    expect(await gateway().cancel(held.jobId, { ifNotStarted: true })).toBe('cancelling');
    await waitFor(async () => (await readImageRecord(bull(), held.jobId))?.status === 'cancelled', 5_000, 'the held job to end cancelled');
    release.resolve();
    await waitFor(async () => (await readImageRecord(bull(), first.jobId))?.status === 'succeeded', 5_000, 'the first job to succeed');
    expect(ran).toEqual([first.jobId]);
  });

  it('reads a lane load: jobs holding a slot run, the rest wait, with a sample of what waits', async () => {
    const release = deferred();
    const started = deferred();
    await current.queues.enqueue(job());
    const handle = await startImageWorker({
      connection: pool.consumer(redis.url),
      queueName: current.queueName,
      concurrency: 1,
      handlers: handlersFrom(async (_payload, context) => {
        started.resolve();
        await release.promise;
        return resultFor(context.jobId);
      }),
    });
    cleanups.push(async () => {
      release.resolve();
      await handle.close(1_000);
    });
    await started.promise;
    for (let i = 0; i < 5; i++) await current.queues.enqueue(job());

    const load = await gateway().laneLoad(current.queueName, 'interactive', { sample: 3 });
    expect(load.waiting).toBe(5);
    expect(load.running).toBe(1);
    expect(load.sample).toHaveLength(3);
    expect(load.sample[0]?.params.model).toBe('gpt-image-1');
    expect(await gateway().laneLoad(current.queueName, 'batch')).toEqual({ waiting: 0, running: 0, sample: [] });
  });
});
