import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { defineJobCatalog, imageJobCatalog, imageJobRetention, type JobSettledHook, type SettledJob } from '@imageforge/jobs';
import { uniqueQueueName } from '@imageforge/testing';
import { createJobWorker, JobQueue, RedisLease } from '../src';
import { generatePayload, newJobId, useQueueUnderTest, waitFor } from './queue-test-kit';

/** Fails while `failUntil` says so, with a short fixed backoff so retries come quickly. */
const flakyCatalog = defineJobCatalog({
  'flaky.run': {
    operation: 'run',
    payload: z.object({ failUntilAttempt: z.number().int() }),
    result: z.object({ attempt: z.number() }),
    options: { attempts: 3, backoff: { type: 'fixed', delay: 10 }, removeOnComplete: { age: 60, count: 100 }, removeOnFail: { age: 60, count: 100 } },
  },
});
type FlakySettled = SettledJob<typeof flakyCatalog>;

describe('what happens after a job is recorded', () => {
  const { redis, pool, cleanups } = useQueueUnderTest('recorded');

  async function runFlaky(failUntilAttempt: number, onSettled?: JobSettledHook<typeof flakyCatalog>) {
    const queueName = uniqueQueueName('flaky');
    const producer = new JobQueue({ catalog: flakyCatalog, connection: pool.producer(redis.url), queueNames: [queueName], lanes: ['interactive'] });
    cleanups.push(() => producer.close());
    await producer.waitUntilReady();
    const calls: Array<{ settled: FlakySettled; stateThen: string }> = [];
    const worker = await createJobWorker({
      catalog: flakyCatalog,
      connection: pool.consumer(redis.url),
      queueName,
      concurrency: 1,
      handlers: {
        'flaky.run': async (payload, context) => {
          if (context.attempt <= payload.failUntilAttempt) throw new Error(`attempt ${context.attempt} fails`);
          return { attempt: context.attempt };
        },
      },
      ...(onSettled ? { onSettled } : {}),
      onRecorded: async (settled) => {
        calls.push({ settled, stateThen: await producer.queue(queueName).getJobState(settled.jobId) });
      },
    });
    cleanups.push(() => worker.close(1_000));
    const jobId = newJobId();
    await producer.enqueue({ queue: queueName, name: 'flaky.run', payload: { failUntilAttempt }, jobId });
    await waitFor(async () => ['completed', 'failed'].includes(await producer.queue(queueName).getJobState(jobId)), 5_000, 'the job to end');
    await waitFor(() => calls.length > 0, 2_000, 'onRecorded');
    return { jobId, calls };
  }

  it('tells onRecorded once, after BullMQ recorded the success, and never for the attempts that were retried', async () => {
    const { jobId, calls } = await runFlaky(2);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.settled).toMatchObject({ jobId, outcome: { status: 'succeeded', result: { attempt: 3 } } });
    expect(calls[0]!.stateThen).toBe('completed');
  });

  it('tells onRecorded once a job has failed for the last time, with the job already failed in Redis', async () => {
    const { calls } = await runFlaky(3);
    expect(calls.map((call) => [call.settled.outcome.status, call.stateThen])).toEqual([['failed', 'failed']]);
  });

  it('skips onRecorded for an outcome whose settled hook threw: the job runs again and is told then', async () => {
    let hookCalls = 0;
    const { calls } = await runFlaky(0, async () => {
      hookCalls += 1;
      if (hookCalls === 1) throw new Error('outbox unreachable');
    });
    expect(hookCalls).toBe(2);
    expect(calls.map((call) => call.settled.outcome)).toEqual([{ status: 'succeeded', result: { attempt: 2 } }]);
  });
});

describe(RedisLease.name, () => {
  const { redis, pool } = useQueueUnderTest('lease');

  it('has one holder at a time, renews and releases only for its holder, and frees itself when a holder stops renewing', async () => {
    const connection = pool.producer(redis.url);
    await waitFor(() => connection.status === 'ready', 2_000, 'the connection');
    const shared = { redis: connection, prefix: `lease-${randomUUID()}`, name: 'sweep' };
    const long = new RedisLease({ ...shared, ttlMs: 60_000 });
    const brief = new RedisLease({ ...shared, ttlMs: 50 });

    expect(await long.acquire('a')).toBe(true);
    expect(await long.acquire('b')).toBe(false);
    expect(await long.renew('b')).toBe(false);
    await long.release('b');
    expect(await long.renew('a')).toBe(true);
    expect(await long.acquire('b')).toBe(false);
    await long.release('a');
    expect(await long.acquire('b')).toBe(true);
    await long.release('b');

    // A holder that crashed renews nothing: its lease runs out and the next one takes it.
    expect(await brief.acquire('crashed')).toBe(true);
    await waitFor(() => brief.acquire('next'), 2_000, 'the lease to expire');
    expect(await brief.renew('crashed')).toBe(false);
    expect(await new RedisLease({ ...shared, prefix: `lease-${randomUUID()}`, ttlMs: 1_000 }).acquire('elsewhere')).toBe(true);
  });
});

describe('JobQueue retention', () => {
  const { redis, pool, cleanups } = useQueueUnderTest('retention');

  it('keeps completed image jobs a day past RETENTION_OUTPUT_HOURS, never less than the catalog, and lets a request choose its own', async () => {
    const queueName = uniqueQueueName('kept');
    const queues = new JobQueue({ catalog: imageJobCatalog, connection: pool.producer(redis.url), queueNames: [queueName], retention: imageJobRetention(48) });
    cleanups.push(() => queues.close());
    await queues.waitUntilReady();
    const [plain, own] = [newJobId(), newJobId()];
    await queues.enqueue({ queue: queueName, name: 'image.generate', payload: generatePayload(), jobId: plain });
    const lineRetention = { removeOnComplete: { age: 3 * 24 * 3600, count: 1 }, removeOnFail: { age: 60, count: 1 } };
    await queues.enqueue({ queue: queueName, name: 'image.generate', payload: generatePayload(), jobId: own, retention: lineRetention });

    const job = await queues.queue(queueName).getJob(plain);
    expect(job?.opts.removeOnComplete).toEqual({ age: 72 * 3600, count: 50_000 });
    expect(job?.opts.removeOnFail).toEqual({ age: 7 * 24 * 3600, count: 50_000 });
    expect((await queues.queue(queueName).getJob(own))?.opts.removeOnComplete).toEqual(lineRetention.removeOnComplete);
    expect(imageJobRetention(1).removeOnComplete.age).toBe(25 * 3600);
    expect(imageJobRetention(0.5 / 3600 + 1).removeOnComplete.age).toBe(25 * 3600 + 1);
  });
});
