import { JOB_LANES, type JobLane } from '@imageforge/jobs';
import { BullmqJobGateway, laneQueueName, laneQueueNames } from '../src';
import { handlersFrom, laneJobRequest, newJobId, resultFor, startImageWorker, startWaiters, useQueueUnderTest } from './queue-test-kit';

describe('lane queues behind one model queue', () => {
  const { redis, pool, cleanups, current } = useQueueUnderTest('routing');

  async function gatewayWithWaiters(options: Parameters<typeof startWaiters>[2] = {}) {
    const started = await startWaiters(pool.consumer(redis.url), [current.queueName], options);
    cleanups.push(() => started.close());
    return new BullmqJobGateway({ queue: current.queues, waiters: started.waiters, connection: pool.producer(redis.url) });
  }

  const request = (lane: JobLane) => laneJobRequest(current.queueName, lane);

  it('names the interactive lane queue as the model queue and the bulk lanes after it', () => {
    expect(laneQueueNames('images')).toEqual(['images', 'images-async', 'images-batch']);
    expect(laneQueueName('images', 'batch')).toBe('images-batch');
  });

  it('reads and cancels a queued job in whichever lane queue holds it, naming the model queue', async () => {
    const gateway = await gatewayWithWaiters();
    const jobs = JOB_LANES.map(request);
    for (const job of jobs) await gateway.enqueue(job);

    for (const job of jobs) {
      expect(await gateway.read(job.jobId)).toMatchObject({ id: job.jobId, queue: current.queueName, status: 'queued', payload: { lane: job.lane } });
      expect(await current.queues.queue(current.queueName, job.lane).getJobState(job.jobId)).not.toBe('unknown');
      expect(await gateway.cancel(job.jobId)).toBe('cancelled');
      expect(await gateway.read(job.jobId)).toMatchObject({ status: 'cancelled' });
    }
    expect(await gateway.read(newJobId())).toBeNull();
    expect(await gateway.cancel(newJobId())).toBe('not_found');
  });

  it("settles a waiter whose job's events it missed by reading the lane queue that holds the job", async () => {
    const queueName = laneQueueName(current.queueName, 'async');
    const worker = await startImageWorker({ connection: pool.consumer(redis.url), queueName, concurrency: 1, handlers: handlersFrom(async (_payload, context) => resultFor(context.jobId)) });
    cleanups.push(() => worker.close(1_000));
    const job = request('async');
    await current.queues.enqueue(job);
    await new Promise<void>((resolve) => worker.worker.once('completed', () => resolve()));
    // Registered after the completion went by: only the reconciliation read can answer it.
    const gateway = await gatewayWithWaiters({ reconcileAfterMs: 0, reconcileIntervalMs: 50 });

    const outcome = await gateway.watch({ queue: current.queueName, jobId: job.jobId, name: job.name }).promise;

    expect(outcome).toMatchObject({ status: 'succeeded', result: { images: [{ key: `jobs/${job.jobId}/output/0.png` }] } });
  });

  it('counts jobs per lane for metrics', async () => {
    await current.queues.enqueue(request('async'));
    await current.queues.enqueueBulk([request('batch'), request('batch')]);

    const counts = await current.queues.laneJobCounts();

    expect(counts.map(({ queue, lane, counts: byState }) => [queue, lane, (byState.waiting ?? 0) + (byState.prioritized ?? 0)])).toEqual([
      [current.queueName, 'interactive', 0],
      [current.queueName, 'async', 1],
      [current.queueName, 'batch', 2],
    ]);
  });
});
