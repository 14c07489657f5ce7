import type { EnqueueRequest, ImageJobCatalog, JobLane } from '@imageforge/jobs';
import { BullmqJobGateway, createLaneWorkers, type LaneShares, type LaneWorkers } from '../src';
import {
  deferred,
  generatePayload,
  handlersFrom,
  newJobId,
  readImageRecord,
  resultFor,
  sleep,
  startWaiters,
  useQueueUnderTest,
  waitFor,
} from './queue-test-kit';

type Started = { jobId: string; lane: JobLane };

/** A handler body that runs until released, or until the worker aborts it (close, cancel). */
function blockInto(blocked: Array<() => void>, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    blocked.push(resolve);
    signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
  });
}

describe(createLaneWorkers.name, () => {
  const { redis, pool, cleanups, current } = useQueueUnderTest('lanes');

  function job(lane: JobLane, owner = 'owner-a'): EnqueueRequest<ImageJobCatalog> {
    return { queue: current.queueName, name: 'image.generate', payload: { ...generatePayload(), owner, lane }, jobId: newJobId(), lane, owner };
  }

  /** Lane workers whose handler records each start and then runs `run`. */
  async function startLanes(
    concurrency: number,
    run: (lane: JobLane, jobId: string, signal: AbortSignal) => Promise<void>,
    minShares?: LaneShares,
  ): Promise<{ lanes: LaneWorkers; started: Started[] }> {
    const started: Started[] = [];
    const lanes = await createLaneWorkers({
      catalog: current.queues.catalog,
      connection: pool.consumer(redis.url),
      queue: current.queueName,
      concurrency,
      ...(minShares ? { minShares } : {}),
      handlers: handlersFrom(async (payload, context) => {
        const lane = payload.lane ?? 'interactive';
        started.push({ jobId: context.jobId, lane });
        await run(lane, context.jobId, context.signal);
        return resultFor(context.jobId);
      }),
    });
    cleanups.push(() => lanes.close(1_000));
    return { lanes, started };
  }

  const activeCount = (lane: JobLane) => current.queues.queue(current.queueName, lane).getActiveCount();

  it('starts sync calls after the jobs already running, never behind the batch work queued before them', async () => {
    const blocked: Array<() => void> = [];
    const { lanes, started } = await startLanes(2, (_lane, _jobId, signal) => blockInto(blocked, signal), { batch: 0.1 });
    await current.queues.enqueueBulk(Array.from({ length: 200 }, () => job('batch')));
    await waitFor(() => blocked.length === 2, 5_000, 'the batch to take both slots');

    const sync = [job('interactive'), job('interactive')];
    await Promise.all(sync.map((request) => current.queues.enqueue(request)));
    // Each freed slot is handed out once a sync job waits at the gate beside the held batch job.
    for (const request of sync) {
      await waitFor(() => lanes.gate.snapshot().waiting.interactive === 1, 5_000, 'a sync job at the gate');
      blocked.shift()!();
      await waitFor(() => started.some((entry) => entry.jobId === request.jobId), 5_000, 'the sync job to start');
    }
    expect(started.slice(2).map((entry) => entry.lane)).toEqual(['interactive', 'interactive']);
    for (const release of blocked.splice(0)) release();
  });

  it('lets batch work use every slot while interactive is idle, holding one job more, and no more', async () => {
    const blocked: Array<() => void> = [];
    const { lanes } = await startLanes(3, (lane, _jobId, signal) => (lane === 'batch' ? blockInto(blocked, signal) : Promise.resolve()));
    await current.queues.enqueueBulk(Array.from({ length: 8 }, () => job('batch')));

    await waitFor(() => lanes.gate.snapshot().running.batch === 3, 5_000, 'every slot to run batch work');
    await waitFor(async () => (await activeCount('batch')) === 4, 5_000, 'the batch lane to hold its next job');
    await sleep(100);
    expect(await activeCount('batch')).toBe(4);
    expect(lanes.gate.snapshot()).toMatchObject({ running: { batch: 3 }, waiting: { batch: 1 } });
    for (const release of blocked.splice(0)) release();
    await waitFor(() => blocked.length === 3, 5_000, 'the next batch jobs');
    for (const release of blocked.splice(0)) release();
  });

  it('holds one sync job while bulk work fills the slots, then gives each freed slot to the sync jobs first', async () => {
    const blocked: Array<() => void> = [];
    const { lanes, started } = await startLanes(2, (lane, _jobId, signal) => (lane === 'batch' ? blockInto(blocked, signal) : sleep(30)));
    await current.queues.enqueueBulk(Array.from({ length: 10 }, () => job('batch')));
    await waitFor(() => lanes.gate.snapshot().running.batch === 2, 5_000, 'batch work in both slots');
    await Promise.all(Array.from({ length: 5 }, () => current.queues.enqueue(job('interactive'))));

    await waitFor(async () => (await activeCount('interactive')) === 1, 5_000, 'one sync job to wait at the gate');
    await sleep(100);
    // The rest stay in Redis, where a worker with a free slot elsewhere can take them.
    expect(await activeCount('interactive')).toBe(1);
    expect(await current.queues.queue(current.queueName).getWaitingCount()).toBe(4);
    expect(await activeCount('batch')).toBe(3);

    const before = started.length;
    blocked.shift()!();
    await waitFor(() => started.filter((entry) => entry.lane === 'interactive').length === 5, 5_000, 'the sync jobs');
    expect(started.slice(before, before + 5).map((entry) => entry.lane)).toEqual(Array(5).fill('interactive'));
    await waitFor(() => blocked.length === 2, 5_000, 'batch work to resume');
    for (const release of blocked.splice(0)) release();
  });

  it('keeps the batch lane moving under a constant flood of sync calls', async () => {
    // Jobs long next to the sync worker's fetch of its next job, so that slots seldom free while no sync job waits.
    const { started } = await startLanes(1, () => sleep(25), { batch: 0.1 });
    await current.queues.enqueueBulk(Array.from({ length: 10 }, () => job('batch')));
    await current.queues.enqueueBulk(Array.from({ length: 60 }, () => job('interactive')));

    await waitFor(() => started.length >= 45, 10_000, 'most jobs to start');

    const batch = started.slice(5, 45).filter((entry) => entry.lane === 'batch').length;
    expect(batch).toBeGreaterThanOrEqual(3);
    // 10% of 40 is 4; a slot freed while the sync worker is still fetching its next job goes to batch uncontended.
    expect(batch).toBeLessThanOrEqual(7);
  });

  it('cancels a job waiting at the gate, and hands a waiting job back at close, without leaking its slot', async () => {
    const blocked: Array<() => void> = [];
    const { lanes, started } = await startLanes(1, (lane, _jobId, signal) => (lane === 'batch' ? blockInto(blocked, signal) : Promise.resolve()));
    const gateway = new BullmqJobGateway({ queue: current.queues, waiters: (await waitersFor()).waiters, connection: pool.producer(redis.url) });
    await current.queues.enqueue(job('batch'));
    await waitFor(() => blocked.length === 1, 5_000, 'the batch job to run');
    const cancelled = job('interactive');
    await current.queues.enqueue(cancelled);
    await waitFor(() => lanes.gate.snapshot().waiting.interactive === 1, 5_000, 'the sync job at the gate');

    expect(await gateway.cancel(cancelled.jobId)).toBe('cancelling');
    await waitFor(async () => (await gateway.read(cancelled.jobId))?.status === 'cancelled', 5_000, 'the cancel');
    expect(lanes.gate.snapshot().waiting.interactive).toBe(0);
    blocked.shift()!();
    const next = job('interactive');
    await current.queues.enqueue(next);
    await waitFor(async () => (await gateway.read(next.jobId))?.status === 'succeeded', 5_000, 'a job after the cancel');

    await current.queues.enqueue(job('batch'));
    await waitFor(() => blocked.length === 1, 5_000, 'another batch job to run');
    const leftover = job('async');
    await current.queues.enqueue(leftover);
    await waitFor(() => lanes.gate.snapshot().waiting.async === 1, 5_000, 'the async job at the gate');
    const closing = lanes.close(5_000);
    await waitFor(async () => (await current.queues.queue(current.queueName, 'async').getJobState(leftover.jobId)) === 'waiting', 5_000, 'the hand-back');
    blocked.shift()!();
    await closing;
    expect(started.map((entry) => entry.jobId)).not.toContain(leftover.jobId);
    expect(started.map((entry) => entry.jobId)).not.toContain(cancelled.jobId);
    expect((await readImageRecord(current.queues.queue(current.queueName, 'async'), leftover.jobId))?.attemptsMade).toBe(0);
  });

  async function waitersFor() {
    const started = await startWaiters(pool.consumer(redis.url), [current.queueName]);
    cleanups.push(() => started.close());
    return started;
  }

  it('answers a waiter on an async-lane job and one on a batch-lane job through the events of their lane queues', async () => {
    const release = deferred();
    await startLanes(2, () => release.promise);
    const { waiters } = await waitersFor();
    const gateway = new BullmqJobGateway({ queue: current.queues, waiters, connection: pool.producer(redis.url) });
    const async = job('async');
    const batch = job('batch');

    const waiting = [async, batch].map((request) => gateway.watch({ queue: request.queue, jobId: request.jobId, name: request.name }));
    await gateway.enqueue(async);
    await gateway.enqueueBulk([batch]);
    release.resolve();

    const outcomes = await Promise.all(waiting.map((waiter) => waiter.promise));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['succeeded', 'succeeded']);
    const record = await gateway.read(batch.jobId);
    expect(record).toMatchObject({ queue: current.queueName, status: 'succeeded', payload: { lane: 'batch', owner: 'owner-a' } });
  });
});
