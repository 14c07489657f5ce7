import type { Redis } from 'ioredis';
import type { EnqueueRequest, ImageJobCatalog } from '@imageforge/jobs';
import { createLaneWorkers, MAX_LANE_PRIORITY } from '../src';
import { generatePayload, handlersFrom, newJobId, resultFor, sleep, useQueueUnderTest, waitFor } from './queue-test-kit';

/** A batch line of `owner`, as the batches package adds them. */
function line(queue: string, owner: string): EnqueueRequest<ImageJobCatalog> {
  return { queue, name: 'image.generate', payload: { ...generatePayload(), owner, lane: 'batch' }, jobId: newJobId(), lane: 'batch', owner };
}

describe('per-owner priorities in the batch lane', () => {
  const { redis, pool, cleanups, current } = useQueueUnderTest('fair');

  async function priorityOf(jobId: string): Promise<number | undefined> {
    return (await current.queues.queue(current.queueName, 'batch').getJob(jobId))?.opts.priority;
  }

  it("puts a small batch's lines right behind the running job, not behind a big batch of another owner", async () => {
    const { queueName, queues } = current;
    const finished: string[] = [];
    const lanes = await createLaneWorkers({
      catalog: queues.catalog,
      connection: pool.consumer(redis.url),
      queue: queueName,
      concurrency: 1,
      handlers: handlersFrom(async (payload, context) => {
        await sleep(2);
        finished.push(payload.owner);
        return resultFor(context.jobId);
      }),
    });
    cleanups.push(() => lanes.close(1_000));

    const big = Array.from({ length: 500 }, () => line(queueName, 'owner-a'));
    await queues.enqueueBulk(big);
    await waitFor(() => finished.length >= 20, 10_000, 'the big batch to be under way');
    await queues.enqueueBulk(Array.from({ length: 10 }, () => line(queueName, 'owner-b')));
    const aBefore = finished.filter((owner) => owner === 'owner-a').length;
    await waitFor(() => finished.filter((owner) => owner === 'owner-b').length === 10, 20_000, "the small batch's lines");

    const lastB = finished.lastIndexOf('owner-b');
    const aDuring = finished.slice(0, lastB).filter((owner) => owner === 'owner-a').length - aBefore;
    // Round robin: about one of A's lines per line of B, plus the one running and the one held next.
    expect(aDuring).toBeLessThanOrEqual(10 + 1 + 2);
    expect(finished.length).toBeLessThan(big.length);
  });

  it('interleaves two owners queued together, continues an owner where it left off, and restarts numbers once the lane drains', async () => {
    const { queueName, queues } = current;
    const first = [line(queueName, 'owner-a'), line(queueName, 'owner-a'), line(queueName, 'owner-b'), line(queueName, 'owner-a'), line(queueName, 'owner-b')];
    await queues.enqueueBulk(first);
    expect(await Promise.all(first.map((job) => priorityOf(job.jobId)))).toEqual([1, 2, 1, 3, 2]);

    const more = line(queueName, 'owner-b');
    await queues.enqueue(more);
    expect(await priorityOf(more.jobId)).toBe(3);

    await queues.queue(queueName, 'batch').drain();
    const fresh = line(queueName, 'owner-a');
    await queues.enqueue(fresh);
    expect(await priorityOf(fresh.jobId)).toBe(1);
  });

  it('reserves for every owner of a bulk add in one round trip', async () => {
    const { queueName, queues } = current;
    const monitor = await (pool.consumer(redis.url) as Redis).monitor();
    const reservations: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      // MONITOR also shows the commands a script runs; count the script calls only.
      if (/^eval/i.test(args[0] ?? '') && args.some((arg) => arg.endsWith(':fair:owners'))) reservations.push(args);
    });
    cleanups.push(async () => void monitor.disconnect());
    const requests = Array.from({ length: 300 }, (_, index) => line(queueName, `owner-${index % 7}`));

    await queues.enqueueBulk(requests);

    await waitFor(() => reservations.length > 0, 2_000, 'the reservation to be seen');
    await sleep(50);
    // One script call: the owners and their counts, not a call per job.
    expect(reservations).toHaveLength(1);
    expect(reservations[0]!.filter((arg) => arg.startsWith('owner-'))).toHaveLength(7);
    expect(await queues.queue(queueName, 'batch').getPrioritizedCount()).toBe(300);
  });

  it('clamps at the highest BullMQ priority instead of refusing the job', async () => {
    const { queueName, queues } = current;
    await queues.enqueue(line(queueName, 'owner-b'));
    const batch = queues.queue(queueName, 'batch');
    await pool.consumer(redis.url).hset(batch.toKey('fair:owners'), 'owner-a', String(MAX_LANE_PRIORITY - 1));
    const requests = [line(queueName, 'owner-a'), line(queueName, 'owner-a'), line(queueName, 'owner-a')];

    await queues.enqueueBulk(requests);

    expect(await Promise.all(requests.map((job) => priorityOf(job.jobId)))).toEqual([MAX_LANE_PRIORITY, MAX_LANE_PRIORITY, MAX_LANE_PRIORITY]);
    expect(await batch.getPrioritizedCount()).toBe(4);
  });
});
