import { createImageWorker, ImageJobQueue, readImageJobStatus, type ImageJobHandlers, type WorkerHandle } from '../src';
import { deferred, generatePayload, handlersFrom, newJobId, resultFor, waitFor, useQueueUnderTest } from './queue-test-kit';

describe(readImageJobStatus.name, () => {
  const { redis, pool, cleanups, current } = useQueueUnderTest('status');
  let queueName: string;
  let queues: ImageJobQueue;
  beforeEach(() => {
    ({ queueName, queues } = current);
  });

  async function startWorker(handlers: ImageJobHandlers): Promise<WorkerHandle> {
    const handle = await createImageWorker({ connection: pool.consumer(redis.url), queueName, concurrency: 1, handlers });
    cleanups.push(() => handle.close(1_000));
    return handle;
  }

  it('reports queued, then in progress with progress, then succeeded', async () => {
    const progressed = deferred();
    const release = deferred();
    const handle = await startWorker(
      handlersFrom(async (_payload, context) => {
        await context.reportProgress(40);
        progressed.resolve();
        await release.promise;
        return resultFor(context.jobId);
      }),
    );
    await handle.worker.pause(true);
    const jobId = newJobId();
    const payload = generatePayload('progress please');
    const queue = queues.queue(queueName);

    await queues.enqueue('image.generate', payload, { queue: queueName, jobId });
    const queued = await readImageJobStatus(queue, jobId);
    expect(queued).toMatchObject({ id: jobId, name: 'image.generate', status: 'queued', progress: 0, attemptsMade: 0, data: payload });
    expect(queued?.startedAt).toBeUndefined();

    handle.worker.resume();
    await progressed.promise;
    const running = await readImageJobStatus(queue, jobId);
    expect(running).toMatchObject({ status: 'in_progress', progress: 40 });
    expect(running?.startedAt).toBeGreaterThanOrEqual(queued?.createdAt ?? Infinity);

    release.resolve();
    await waitFor(async () => (await readImageJobStatus(queue, jobId))?.status === 'succeeded', 5_000, 'job to succeed');
    const done = await readImageJobStatus(queue, jobId);
    expect(done).toMatchObject({ status: 'succeeded', progress: 100, attemptsMade: 1, result: { images: [{ key: `jobs/${jobId}/output/0.png` }] } });
    expect(done?.finishedAt).toBeGreaterThanOrEqual(running?.startedAt ?? Infinity);
  });

  it('reports a job waiting out its retry backoff as queued, without the failed attempt as an error', async () => {
    await startWorker(handlersFrom(async () => {
      throw new Error('transient fault');
    }));
    const jobId = newJobId();

    await queues.enqueue('image.generate', generatePayload(), { queue: queueName, jobId });
    await waitFor(async () => (await queues.queue(queueName).getJobState(jobId)) === 'delayed', 5_000, 'retry backoff');

    const status = await readImageJobStatus(queues.queue(queueName), jobId);
    expect(status).toMatchObject({ status: 'queued', attemptsMade: 1 });
    expect(status?.error).toBeUndefined();
    expect(status?.finishedAt).toBeUndefined();
  });

  it('answers null for a job that does not exist', async () => {
    expect(await readImageJobStatus(queues.queue(queueName), newJobId())).toBeNull();
  });
});
