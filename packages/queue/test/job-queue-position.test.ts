import type { JobLane } from '@imageforge/jobs';
import { BullmqJobGateway, jobQueuePosition } from '../src';
import { laneJobRequest, newJobId, useQueueUnderTest } from './queue-test-kit';

describe(jobQueuePosition.name, () => {
  const { redis, pool, current } = useQueueUnderTest('position');

  const request = (lane: JobLane) => laneJobRequest(current.queueName, lane);

  it('counts from the head of each lane’s wait order, in the plain list and the prioritized set alike', async () => {
    const gateway = new BullmqJobGateway({ queue: current.queues, connection: pool.producer(redis.url) });
    const interactive = [request('interactive'), request('interactive'), request('interactive')];
    for (const job of interactive) await gateway.enqueue(job);
    const batch = [request('batch'), request('batch')];
    await gateway.enqueueBulk(batch);
    expect(await current.queues.queue(current.queueName, 'batch').getPrioritizedCount()).toBe(2);

    expect(await Promise.all(interactive.map((job) => gateway.position(job.jobId)))).toEqual([0, 1, 2]);
    expect(await Promise.all(batch.map((job) => gateway.position(job.jobId)))).toEqual([0, 1]);

    expect(await gateway.cancel(interactive[0]!.jobId)).toBe('cancelled');
    expect(await Promise.all(interactive.map((job) => gateway.position(job.jobId)))).toEqual([null, 0, 1]);
    expect(await gateway.position(newJobId())).toBeNull();
  });
});
