import type { JobEvent } from '@imageforge/jobs';
import { cancelJob, QueueJobEvents } from '../src';
import { deferred, generatePayload, handlersFrom, newJobId, resultFor, startImageWorker, useQueueUnderTest, waitFor, type ImageJobHandlers } from './queue-test-kit';

describe(QueueJobEvents.name, () => {
  const { redis, pool, cleanups, current } = useQueueUnderTest('events');

  async function startEvents(): Promise<QueueJobEvents> {
    const events = new QueueJobEvents({ connection: pool.consumer(redis.url), queueNames: [current.queueName] });
    await events.waitUntilReady();
    cleanups.push(() => events.close());
    return events;
  }

  async function startWorker(handlers: ImageJobHandlers) {
    const handle = await startImageWorker({ connection: pool.consumer(redis.url), queueName: current.queueName, concurrency: 2, handlers });
    cleanups.push(() => handle.close(1_000));
  }

  const enqueue = (jobId: string) => current.queues.enqueue({ queue: current.queueName, name: 'image.generate', payload: generatePayload(), jobId });

  it('streams one job from queued through started, progress and its stored previews to completed', async () => {
    const events = await startEvents();
    await startWorker(
      handlersFrom(async (_payload, context) => {
        await context.reportProgress(30);
        await context.announcePartialImage({ key: `jobs/${context.jobId}/partial/0-0.png`, imageIndex: 0, partialIndex: 0 });
        await context.reportProgress(60);
        await context.announcePartialImage({ key: `jobs/${context.jobId}/partial/0-1.png`, imageIndex: 0, partialIndex: 1 });
        return resultFor(context.jobId);
      }),
    );
    const jobId = newJobId();
    const seen: JobEvent[] = [];
    const done = deferred();
    events.subscribeJob(jobId, (event) => {
      seen.push(event);
      if (event.type === 'completed') done.resolve();
    });

    await enqueue(jobId);
    await done.promise;

    expect(seen.map((event) => event.type)).toEqual(['queued', 'started', 'progress', 'partial_image', 'progress', 'partial_image', 'completed']);
    expect(seen.filter((event) => event.type === 'partial_image')).toEqual([
      { type: 'partial_image', queue: current.queueName, jobId, partial: { key: `jobs/${jobId}/partial/0-0.png`, imageIndex: 0, partialIndex: 0 } },
      { type: 'partial_image', queue: current.queueName, jobId, partial: { key: `jobs/${jobId}/partial/0-1.png`, imageIndex: 0, partialIndex: 1 } },
    ]);
    expect(seen.filter((event) => event.type === 'progress').map((event) => event.type === 'progress' && event.progress)).toEqual([30, 60]);
    expect(seen.at(-1)).toMatchObject({ type: 'completed', returnvalue: { images: [{ key: `jobs/${jobId}/output/0.png` }] } });
  });

  it('tells a final failure from a cancellation, and routes each job only to its own subscribers', async () => {
    const events = await startEvents();
    const started = deferred();
    await startWorker(
      handlersFrom(async (payload, context) => {
        if (payload.prompt === 'fail') throw new Error(`broken on attempt ${context.attempt}`);
        started.resolve();
        return new Promise((_resolve, reject) => context.signal.addEventListener('abort', () => reject(new Error('aborted'))));
      }),
    );
    const producer = pool.producer(redis.url);
    await waitFor(() => producer.status === 'ready', 5_000, 'producer connection');
    const failing = newJobId();
    const cancelled = newJobId();
    const all: JobEvent[] = [];
    const forFailing: JobEvent[] = [];
    events.subscribe((event) => all.push(event));
    const unsubscribe = events.subscribeJob(failing, (event) => forFailing.push(event));

    await current.queues.enqueue({ queue: current.queueName, name: 'image.generate', payload: { ...generatePayload(), prompt: 'fail' }, jobId: failing, priority: 1 });
    await enqueue(cancelled);
    await started.promise;
    expect(await cancelJob(current.queues.queue(current.queueName), producer, cancelled)).toBe('cancelling');
    await waitFor(() => all.some((event) => event.jobId === cancelled && event.type === 'cancelled'), 5_000, 'cancelled event');
    await waitFor(() => all.some((event) => event.jobId === failing && event.type === 'failed'), 10_000, 'final failure');

    const failures = all.filter((event) => event.type === 'failed');
    // Three attempts, one final `failed`: retries come back as `queued`, never as failures.
    expect(failures).toEqual([{ type: 'failed', queue: current.queueName, jobId: failing, reason: 'broken on attempt 3' }]);
    expect(all.find((event) => event.jobId === cancelled && event.type === 'cancelled')).toMatchObject({ reason: expect.stringMatching(/^cancelled:/) });
    expect(forFailing.every((event) => event.jobId === failing)).toBe(true);
    expect(forFailing.filter((event) => event.type === 'started')).toHaveLength(3);

    unsubscribe();
    const after = forFailing.length;
    await enqueue(newJobId());
    await waitFor(() => all.filter((event) => event.type === 'queued').length >= 5, 5_000, 'another job queued');
    expect(forFailing).toHaveLength(after);
  });
});
