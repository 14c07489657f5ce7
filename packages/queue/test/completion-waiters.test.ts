import { Queue } from 'bullmq';
import { JobMissingError, WaiterClosedError } from '@imageforge/jobs';
import { CompletionWaiters, type WorkerJobEvent, type WorkerHandle } from '../src';
import {
  deferred,
  generatePayload,
  handlersFrom,
  newJobId,
  prefixOf,
  resultFor,
  sleep,
  startImageWorker,
  startWaiters as startWaitersOn,
  waitFor,
  useQueueUnderTest,
  type ImageJobHandlers,
  type ImageJobQueue,
} from './queue-test-kit';

describe(CompletionWaiters.name, () => {
  const { redis, pool, cleanups, current } = useQueueUnderTest('waiters');
  let queueName: string;
  let queues: ImageJobQueue;
  beforeEach(() => {
    ({ queueName, queues } = current);
  });

  async function startWaiters(
    options: Parameters<typeof startWaitersOn>[2] & { connection?: ReturnType<typeof pool.consumer> } = {},
  ): Promise<CompletionWaiters> {
    const { connection, ...rest } = options;
    const started = await startWaitersOn(connection ?? pool.consumer(redis.url), [queueName], rest);
    cleanups.push(() => started.close());
    return started.waiters;
  }

  async function startWorker(handlers: ImageJobHandlers, extra: Partial<Parameters<typeof startImageWorker>[0]> = {}): Promise<WorkerHandle> {
    const handle = await startImageWorker({ connection: pool.consumer(redis.url), queueName, concurrency: 4, handlers, ...extra });
    cleanups.push(() => handle.close(1_000));
    return handle;
  }

  it('resolves with the parsed result once a worker completes the job', async () => {
    const waiters = await startWaiters();
    await startWorker(handlersFrom(async (payload, context) => ({ ...resultFor(context.jobId), revisedPrompt: payload.prompt })));
    const jobId = newJobId();

    const waiter = waiters.register(jobId, { queue: queueName });
    await queues.enqueue({ queue: queueName, name: 'image.generate', payload: generatePayload('a green triangle'), jobId });

    const outcome = await waiter.promise;
    expect(outcome.status).toBe('succeeded');
    if (outcome.status !== 'succeeded') return;
    expect(outcome.result).toMatchObject({ images: [{ key: `jobs/${jobId}/output/0.png` }], revisedPrompt: 'a green triangle' });
    expect(waiters.size).toBe(0);
  });

  it('keeps waiting through a failed attempt that will be retried and resolves with the retry result', async () => {
    const waiters = await startWaiters();
    const events: WorkerJobEvent[] = [];
    await startWorker(
      handlersFrom(async (_payload, context) => {
        if (context.attempt === 1) throw new Error('transient engine fault');
        return resultFor(context.jobId, context.attempt);
      }),
      { onJobEvent: (event) => events.push(event) },
    );
    const jobId = newJobId();
    let settled = false;

    const waiter = waiters.register(jobId, { queue: queueName });
    void waiter.promise.then(() => (settled = true));
    await queues.enqueue({ queue: queueName, name: 'image.generate', payload: generatePayload(), jobId });
    await waitFor(() => events.some((event) => event.type === 'failed' && event.willRetry), 5_000, 'first attempt to fail');
    await sleep(300);
    expect(settled).toBe(false);

    const outcome = await waiter.promise;
    expect(outcome).toMatchObject({ status: 'succeeded', result: { images: [{ bytes: 102 }] } });
  });

  it('resolves as failed only after the last attempt fails', async () => {
    const waiters = await startWaiters();
    const attempts: number[] = [];
    await startWorker(
      handlersFrom(async (_payload, context) => {
        attempts.push(context.attempt);
        throw new Error(`engine fault on attempt ${context.attempt}`);
      }),
    );
    const raw = new Queue(queueName, { connection: pool.producer(redis.url), prefix: prefixOf(queueName) });
    cleanups.push(() => raw.close());
    const jobId = newJobId();

    const waiter = waiters.register(jobId, { queue: queueName });
    await raw.add('image.generate', generatePayload(), { jobId, attempts: 3, backoff: { type: 'fixed', delay: 50 } });

    expect(await waiter.promise).toEqual({ status: 'failed', reason: 'engine fault on attempt 3' });
    expect(attempts).toEqual([1, 2, 3]);
  });

  it('delivers a completion that QueueEvents lost while its connection was killed, through the reconciliation poll', async () => {
    // Its QueueEvents duplicate inherits a 1.5 s reconnect delay: a deterministic outage window.
    const waiters = await startWaiters({
      connection: pool.consumer(redis.url, 'waiters-under-test', 1_500),
      reconcileIntervalMs: 100,
      reconcileAfterMs: 200,
      closeTimeoutMs: 200,
    });
    const gate = deferred();
    const started = deferred();
    await startWorker(
      handlersFrom(async (_payload, context) => {
        started.resolve();
        await gate.promise;
        return resultFor(context.jobId);
      }),
    );
    const admin = pool.consumer(redis.url, 'test-admin');
    const eventsName = `${prefixOf(queueName)}:${Buffer.from(queueName).toString('base64')}:qe`;
    const findEventsClient = async () => (await admin.client('LIST') as string).split('\n').find((line) => line.includes(`name=${eventsName} `));
    await waitFor(async () => (await findEventsClient())?.includes('cmd=xread') ?? false, 5_000, 'QueueEvents to block on XREAD');
    const jobId = newJobId();

    const waiter = waiters.register(jobId, { queue: queueName });
    await queues.enqueue({ queue: queueName, name: 'image.generate', payload: generatePayload(), jobId });
    await started.promise;
    const clientId = /(?:^| )id=(\d+)/.exec((await findEventsClient()) ?? '')?.[1];
    expect(clientId).toBeDefined();
    expect(await admin.client('KILL', 'ID', clientId ?? '')).toBe(1);
    gate.resolve();
    await waitFor(async () => (await queues.queue(queueName).getJobState(jobId)) === 'completed', 5_000, 'job to complete');
    // What a busy queue does to a reader that is away: its events are trimmed.
    await admin.xtrim(queues.queue(queueName).keys.events ?? '', 'MAXLEN', 0);

    const outcome = await waiter.promise;
    expect(outcome).toMatchObject({ status: 'succeeded', result: { images: [{ key: `jobs/${jobId}/output/0.png` }] } });
    // Closed while reconnecting, a QueueEvents never finishes closing and its XREAD watchdog keeps jest alive for 11 s.
    // Reconnected, it goes by its connection's name (ioredis restores that one, not BullMQ's CLIENT SETNAME).
    const reconnected = async () => (await admin.client('LIST') as string).split('\n').some((line) => line.includes('name=waiters-under-test ') && line.includes('cmd=xread'));
    await waitFor(reconnected, 5_000, 'QueueEvents to reconnect');
  });

  it('settles 2,000 concurrent waiters without a listener per waiter', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    cleanups.push(async () => void process.off('warning', onWarning));
    const waiters = await startWaiters();
    await startWorker(handlersFrom(async (_payload, context) => resultFor(context.jobId)), { concurrency: 50 });
    const jobIds = Array.from({ length: 2_000 }, () => newJobId());

    const pending = jobIds.map((jobId) => waiters.register(jobId, { queue: queueName }).promise);
    await Promise.all(jobIds.map((jobId) => queues.enqueue({ queue: queueName, name: 'image.generate', payload: generatePayload(), jobId })));
    const outcomes = await Promise.all(pending);

    outcomes.forEach((outcome, index) => {
      expect(outcome.status === 'succeeded' && (outcome.result as { images: Array<{ key: string }> }).images[0]?.key).toBe(`jobs/${jobIds[index]}/output/0.png`);
    });
    expect(waiters.size).toBe(0);
    expect(warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning')).toEqual([]);
  });

  it('rejects pending waiters with WaiterClosedError naming the job when closed', async () => {
    const { waiters, close } = await startWaitersOn(pool.consumer(redis.url), [queueName]);
    cleanups.push(close);
    const jobId = newJobId();
    const waiter = waiters.register(jobId, { queue: queueName });

    waiters.close();

    const error = await waiter.promise.catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(WaiterClosedError);
    expect((error as WaiterClosedError).jobId).toBe(jobId);
    expect(() => waiters.register(newJobId(), { queue: queueName })).toThrow(WaiterClosedError);
  });

  it('rejects a waiter whose job never appears with JobMissingError, and forgets a cancelled one', async () => {
    const waiters = await startWaiters({ reconcileIntervalMs: 50, reconcileAfterMs: 50, missingReadsBeforeReject: 2 });
    const missing = waiters.register(newJobId(), { queue: queueName });
    const cancelled = waiters.register(newJobId(), { queue: queueName });

    cancelled.cancel();

    await expect(missing.promise).rejects.toBeInstanceOf(JobMissingError);
    expect(waiters.size).toBe(0);
  });
});
