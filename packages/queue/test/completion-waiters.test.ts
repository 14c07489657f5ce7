import { Queue } from 'bullmq';
import { CompletionWaiters, createImageWorker, ImageJobQueue, JobMissingError, WaiterClosedError, type ImageJobEvent, type WorkerHandle } from '../src';
import { deferred, generatePayload, handlersFrom, newJobId, resultFor, sleep, waitFor, useQueueUnderTest } from './queue-test-kit';

describe(CompletionWaiters.name, () => {
  const { redis, pool, cleanups, current } = useQueueUnderTest('waiters');
  let queueName: string;
  let queues: ImageJobQueue;
  beforeEach(() => {
    ({ queueName, queues } = current);
  });

  async function startWaiters(options: Partial<ConstructorParameters<typeof CompletionWaiters>[0]> = {}): Promise<CompletionWaiters> {
    const waiters = new CompletionWaiters({ connection: pool.consumer(redis.url), queueNames: [queueName], ...options });
    await waiters.waitUntilReady();
    cleanups.push(() => waiters.close());
    return waiters;
  }

  async function startWorker(handlers: Parameters<typeof createImageWorker>[0]['handlers'], extra: Partial<Parameters<typeof createImageWorker>[0]> = {}): Promise<WorkerHandle> {
    const handle = await createImageWorker({ connection: pool.consumer(redis.url), queueName, concurrency: 4, handlers, ...extra });
    cleanups.push(() => handle.close(1_000));
    return handle;
  }

  it('resolves with the parsed result once a worker completes the job', async () => {
    const waiters = await startWaiters();
    await startWorker(handlersFrom(async (payload, context) => ({ ...resultFor(context.jobId), revisedPrompt: payload.prompt })));
    const jobId = newJobId();

    const waiter = waiters.register(jobId, { queue: queueName, name: 'image.generate' });
    await queues.enqueue('image.generate', generatePayload('a green triangle'), { queue: queueName, jobId });

    const outcome = await waiter.promise;
    expect(outcome.state).toBe('completed');
    if (outcome.state !== 'completed') return;
    expect(outcome.result.images[0]?.key).toBe(`jobs/${jobId}/output/0.png`);
    expect(outcome.result.revisedPrompt).toBe('a green triangle');
    expect(waiters.size).toBe(0);
  });

  it('keeps waiting through a failed attempt that will be retried and resolves with the retry result', async () => {
    const waiters = await startWaiters();
    const events: ImageJobEvent[] = [];
    await startWorker(
      handlersFrom(async (_payload, context) => {
        if (context.attempt === 1) throw new Error('transient engine fault');
        return resultFor(context.jobId, context.attempt);
      }),
      { onJobEvent: (event) => events.push(event) },
    );
    const jobId = newJobId();
    let settled = false;

    const waiter = waiters.register(jobId, { queue: queueName, name: 'image.generate' });
    void waiter.promise.then(() => (settled = true));
    await queues.enqueue('image.generate', generatePayload(), { queue: queueName, jobId });
    await waitFor(() => events.some((event) => event.type === 'failed' && event.willRetry), 5_000, 'first attempt to fail');
    await sleep(300);
    expect(settled).toBe(false);

    const outcome = await waiter.promise;
    expect(outcome).toMatchObject({ state: 'completed', result: { images: [{ bytes: 102 }] } });
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
    const raw = new Queue(queueName, { connection: pool.producer(redis.url) });
    cleanups.push(() => raw.close());
    const jobId = newJobId();

    const waiter = waiters.register(jobId, { queue: queueName, name: 'image.generate' });
    await raw.add('image.generate', generatePayload(), { jobId, attempts: 3, backoff: { type: 'fixed', delay: 50 } });

    expect(await waiter.promise).toEqual({ state: 'failed', failedReason: 'engine fault on attempt 3' });
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
    const eventsName = `bull:${Buffer.from(queueName).toString('base64')}:qe`;
    const findEventsClient = async () => (await admin.client('LIST') as string).split('\n').find((line) => line.includes(`name=${eventsName} `));
    await waitFor(async () => (await findEventsClient())?.includes('cmd=xread') ?? false, 5_000, 'QueueEvents to block on XREAD');
    const jobId = newJobId();

    const waiter = waiters.register(jobId, { queue: queueName, name: 'image.generate' });
    await queues.enqueue('image.generate', generatePayload(), { queue: queueName, jobId });
    await started.promise;
    const clientId = /(?:^| )id=(\d+)/.exec((await findEventsClient()) ?? '')?.[1];
    expect(clientId).toBeDefined();
    expect(await admin.client('KILL', 'ID', clientId ?? '')).toBe(1);
    gate.resolve();
    await waitFor(async () => (await queues.queue(queueName).getJobState(jobId)) === 'completed', 5_000, 'job to complete');
    // What a busy queue does to a reader that is away: its events are trimmed.
    await admin.xtrim(queues.queue(queueName).keys.events ?? '', 'MAXLEN', 0);

    const outcome = await waiter.promise;
    expect(outcome).toMatchObject({ state: 'completed', result: { images: [{ key: `jobs/${jobId}/output/0.png` }] } });
  });

  it('settles 2,000 concurrent waiters without a listener per waiter', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    cleanups.push(async () => void process.off('warning', onWarning));
    const waiters = await startWaiters();
    await startWorker(handlersFrom(async (_payload, context) => resultFor(context.jobId)), { concurrency: 50 });
    const jobIds = Array.from({ length: 2_000 }, () => newJobId());

    const pending = jobIds.map((jobId) => waiters.register(jobId, { queue: queueName, name: 'image.generate' }).promise);
    await Promise.all(jobIds.map((jobId) => queues.enqueue('image.generate', generatePayload(), { queue: queueName, jobId })));
    const outcomes = await Promise.all(pending);

    outcomes.forEach((outcome, index) => {
      expect(outcome.state === 'completed' && outcome.result.images[0]?.key).toBe(`jobs/${jobIds[index]}/output/0.png`);
    });
    expect(waiters.size).toBe(0);
    expect(warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning')).toEqual([]);
  });

  it('rejects pending waiters with WaiterClosedError naming the job when closed', async () => {
    const waiters = new CompletionWaiters({ connection: pool.consumer(redis.url), queueNames: [queueName] });
    const jobId = newJobId();
    const waiter = waiters.register(jobId, { queue: queueName, name: 'image.generate' });

    await waiters.close();

    const error = await waiter.promise.catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(WaiterClosedError);
    expect((error as WaiterClosedError).jobId).toBe(jobId);
    expect(() => waiters.register(newJobId(), { queue: queueName, name: 'image.generate' })).toThrow(WaiterClosedError);
  });

  it('rejects a waiter whose job never appears with JobMissingError, and forgets a cancelled one', async () => {
    const waiters = await startWaiters({ reconcileIntervalMs: 50, reconcileAfterMs: 50, missingReadsBeforeReject: 2 });
    const missing = waiters.register(newJobId(), { queue: queueName, name: 'image.generate' });
    const cancelled = waiters.register(newJobId(), { queue: queueName, name: 'image.generate' });

    cancelled.cancel();

    await expect(missing.promise).rejects.toBeInstanceOf(JobMissingError);
    expect(waiters.size).toBe(0);
  });
});
