import { readJobRecord, type WorkerHandle } from '../src';
import { deferred, generatePayload, handlersFrom, newJobId, resultFor, waitFor, useQueueUnderTest, startImageWorker, readImageRecord, type ImageJobQueue, type ImageJobHandlers } from './queue-test-kit';

describe(readJobRecord.name, () => {
  const { redis, pool, cleanups, current } = useQueueUnderTest('status');
  let queueName: string;
  let queues: ImageJobQueue;
  beforeEach(() => {
    ({ queueName, queues } = current);
  });

  async function startWorker(handlers: ImageJobHandlers): Promise<WorkerHandle> {
    const handle = await startImageWorker({ connection: pool.consumer(redis.url), queueName, concurrency: 1, handlers });
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

    await queues.enqueue({ queue: queueName, name: 'image.generate', payload, jobId });
    const queued = await readImageRecord(queue, jobId);
    expect(queued).toMatchObject({ id: jobId, name: 'image.generate', status: 'queued', progress: 0, attemptsMade: 0, payload });
    expect(queued?.startedAt).toBeUndefined();

    handle.worker.resume();
    await progressed.promise;
    const running = await readImageRecord(queue, jobId);
    expect(running).toMatchObject({ status: 'in_progress', progress: 40 });
    expect(running?.startedAt).toBeGreaterThanOrEqual(queued?.createdAt ?? Infinity);

    release.resolve();
    await waitFor(async () => (await readImageRecord(queue, jobId))?.status === 'succeeded', 5_000, 'job to succeed');
    const done = await readImageRecord(queue, jobId);
    expect(done).toMatchObject({ status: 'succeeded', progress: 100, attemptsMade: 1, result: { images: [{ key: `jobs/${jobId}/output/0.png` }] } });
    expect(done?.finishedAt).toBeGreaterThanOrEqual(running?.startedAt ?? Infinity);
  });

  it('reports a job waiting out its retry backoff as queued, without the failed attempt as an error', async () => {
    await startWorker(handlersFrom(async () => {
      throw new Error('transient fault');
    }));
    const jobId = newJobId();

    await queues.enqueue({ queue: queueName, name: 'image.generate', payload: generatePayload(), jobId });
    await waitFor(async () => (await queues.queue(queueName).getJobState(jobId)) === 'delayed', 5_000, 'retry backoff');

    const status = await readImageRecord(queues.queue(queueName), jobId);
    expect(status).toMatchObject({ status: 'queued', attemptsMade: 1 });
    expect(status?.error).toBeUndefined();
    expect(status?.finishedAt).toBeUndefined();
  });

  it('answers null for a job that does not exist', async () => {
    expect(await readImageRecord(queues.queue(queueName), newJobId())).toBeNull();
  });
});
