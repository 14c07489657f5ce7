import type { JobLane } from '@imageforge/jobs';
import { BullmqJobGateway, createLaneWorkers, jobQueueStanding } from '../src';
import { handlersFrom, laneJobRequest, newJobId, resultFor, useQueueUnderTest, waitFor } from './queue-test-kit';

describe(jobQueueStanding.name, () => {
  const { redis, pool, cleanups, current } = useQueueUnderTest('standing');

  const request = (lane: JobLane) => laneJobRequest(current.queueName, lane);
  async function gatewayUnderTest() {
    const connection = pool.producer(redis.url);
    // A producer connection refuses commands until it is ready.
    if (connection.status !== 'ready') await new Promise((resolve) => connection.once('ready', resolve));
    return new BullmqJobGateway({ queue: current.queues, connection });
  }

  it('counts from the head of each lane’s wait order, in the plain list and the prioritized set alike', async () => {
    const gateway = await gatewayUnderTest();
    const interactive = [request('interactive'), request('interactive'), request('interactive')];
    for (const job of interactive) await gateway.enqueue(job);
    const batch = [request('batch'), request('batch')];
    await gateway.enqueueBulk(batch);
    expect(await current.queues.queue(current.queueName, 'batch').getPrioritizedCount()).toBe(2);

    const position = async (jobId: string) => (await gateway.standing(jobId))?.position ?? null;
    expect(await Promise.all(interactive.map((job) => position(job.jobId)))).toEqual([0, 1, 2]);
    expect(await Promise.all(batch.map((job) => position(job.jobId)))).toEqual([0, 1]);

    expect(await gateway.cancel(interactive[0]!.jobId)).toBe('cancelled');
    expect(await Promise.all(interactive.map((job) => position(job.jobId)))).toEqual([null, 0, 1]);
    expect(await position(newJobId())).toBeNull();
  });

  it('samples the payloads ahead and names what the lane runs with its start time', async () => {
    const gateway = await gatewayUnderTest();
    const jobs = [request('interactive'), request('interactive'), request('interactive'), request('interactive')];
    for (const job of jobs) await gateway.enqueue(job);
    const release: Array<() => void> = [];
    const lanes = await createLaneWorkers({
      catalog: current.queues.catalog,
      connection: pool.consumer(redis.url),
      queue: current.queueName,
      concurrency: 1,
      handlers: handlersFrom(async (_payload, context) => {
        await new Promise<void>((resolve, reject) => {
          release.push(resolve);
          context.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
        });
        return resultFor(context.jobId);
      }),
    });
    cleanups.push(() => lanes.close(1_000));
    await waitFor(() => release.length === 1, 5_000, 'the first job to start');
    const before = Date.now();

    const last = await gateway.standing(jobs[3]!.jobId);
    expect(last?.position).toBe(2);
    const ids = (payloads: Array<{ requestId: string }> | undefined) => payloads?.map((payload) => payload.requestId).sort();
    expect(ids(last?.ahead)).toEqual(ids([jobs[1]!.payload, jobs[2]!.payload]));
    expect(last?.running.map((job) => job.payload.requestId)).toEqual([jobs[0]!.payload.requestId]);
    expect(last?.running[0]!.startedAt).toBeLessThanOrEqual(before);

    const sampled = await gateway.standing(jobs[3]!.jobId, { sample: 1 });
    expect(sampled?.position).toBe(2);
    expect(sampled?.ahead).toHaveLength(1);
    expect([jobs[1]!.payload.requestId, jobs[2]!.payload.requestId]).toContain(sampled?.ahead[0]!.requestId);
    expect((await gateway.standing(jobs[1]!.jobId))?.ahead).toEqual([]);
    expect(await gateway.standing(jobs[0]!.jobId)).toBeNull();
  });

  it('samples the prioritized jobs ranked before it', async () => {
    const gateway = await gatewayUnderTest();
    const batch = [request('batch'), request('batch'), request('batch')];
    await gateway.enqueueBulk(batch);
    const standing = await gateway.standing(batch[2]!.jobId);
    expect(standing?.position).toBe(2);
    expect(standing?.ahead.map((payload) => payload.requestId).sort()).toEqual([batch[0]!.payload.requestId, batch[1]!.payload.requestId].sort());
    expect(standing?.running).toEqual([]);
  });
});
