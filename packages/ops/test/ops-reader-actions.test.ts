import { randomUUID } from 'node:crypto';
import { GeneratePayloadSchema, imageJobCatalog, ImageJobResultSchema, PermanentJobError, type ImageJobResult, type JobLane } from '@imageforge/jobs';
import { createLaneWorkers, createRedisConnection, JobQueue, readJobRecord, type LaneWorkers, type RedisClient } from '@imageforge/queue';
import { dallE2Params, uniqueQueueName, useRedisServer } from '@imageforge/testing';
import { BullmqOpsActions, opsHistoryHook, OpsHistoryRecorder, RedisOpsReader, WorkerJobTracker } from '../src';

const OWNER = 'f0'.repeat(32);
const BATCH_ID = `batch_${'a'.repeat(32)}`;

describe('ops reader and actions over real queues', () => {
  const redis = useRedisServer();
  let connection: RedisClient;
  let consumer: RedisClient;
  let queue: JobQueue<typeof imageJobCatalog>;
  let workers: LaneWorkers | undefined;
  let name: string;
  const failing = new Set<string>();

  const payload = (lane: JobLane, batch?: { id: string; line: number; customId: string }) =>
    GeneratePayloadSchema.parse({ requestId: `req-${randomUUID()}`, owner: OWNER, acceptedAt: Date.now(), params: dallE2Params(), prompt: 'a cat', lane, ...(batch ? { batch } : {}) });
  const enqueue = async (jobId: string, lane: JobLane = 'interactive', batch?: { id: string; line: number; customId: string }) =>
    queue.enqueue({ queue: name, name: 'image.generate', jobId, lane, payload: payload(lane, batch), owner: OWNER });
  const status = async (jobId: string) => {
    const found = await queue.locate(jobId);
    return found ? (await readJobRecord(imageJobCatalog, found.bull, jobId, connection, found.queue))?.status : undefined;
  };
  const until = async (check: () => Promise<boolean>, what: string) => {
    for (const deadline = Date.now() + 10_000; !(await check()); ) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  const startWorkers = async () => {
    const tracker = new WorkerJobTracker();
    const history = new OpsHistoryRecorder({ redis: connection, flushIntervalMs: 0 });
    workers = await createLaneWorkers({
      catalog: imageJobCatalog,
      connection: consumer,
      queue: name,
      concurrency: 2,
      name: 'ops-test-worker',
      onJobEvent: (event, lane) => tracker.onJobEvent(name, lane, event),
      onSettled: opsHistoryHook({ history, tracker }),
      handlers: {
        'image.generate': async (_payload, context): Promise<ImageJobResult> => {
          if (failing.has(context.jobId)) throw new PermanentJobError(`job input jobs/${context.jobId}/input/0.png is not a usable image`);
          return ImageJobResultSchema.parse({ images: [{ key: `jobs/${context.jobId}/output/0.png`, contentType: 'image/png', width: 8, height: 8, bytes: 10 }], finishedAt: Date.now() });
        },
        'image.edit': async () => Promise.reject(new Error('unused')),
        'image.variation': async () => Promise.reject(new Error('unused')),
      },
    });
  };

  beforeEach(async () => {
    connection = createRedisConnection(redis.url, { role: 'producer' });
    await new Promise((resolve) => connection.once('ready', resolve));
    consumer = createRedisConnection(redis.url, { role: 'consumer' });
    for (const client of [connection, consumer]) client.on('error', () => undefined);
    name = uniqueQueueName('ops');
    queue = new JobQueue({ catalog: imageJobCatalog, connection, queueNames: [name] });
    await queue.waitUntilReady();
    failing.clear();
  });
  afterEach(async () => {
    await workers?.close(1000);
    workers = undefined;
    await queue.close();
    connection.disconnect();
    consumer.disconnect();
  });

  const reader = () =>
    new RedisOpsReader({ queue, connection, models: [{ id: 'dall-e-2', queue: name }], signedUrl: async (key) => `https://signed.test/${key}`, batches: { get: async () => null } });
  const actions = () => new BullmqOpsActions({ queue, connection });

  it('shows lanes, history, failures and finds jobs by id, batch, custom_id and owner', async () => {
    failing.add('job-bad');
    await enqueue('job-good');
    await enqueue('job-bad', 'async');
    await enqueue(`${BATCH_ID}-1`, 'batch', { id: BATCH_ID, line: 1, customId: 'row-1' });
    await enqueue(`${BATCH_ID}-2`, 'batch', { id: BATCH_ID, line: 2, customId: 'row-2' });
    await startWorkers();
    await until(async () => (await status('job-bad')) === 'failed' && (await status(`${BATCH_ID}-2`)) === 'succeeded', 'jobs to settle');

    const ops = reader();
    const lanes = await ops.lanes();
    expect(lanes.find((lane) => lane.lane === 'async')).toMatchObject({ failedLastHour: 1, waiting: 0, oldestWaitingAgeMs: null, paused: false });
    expect(lanes.find((lane) => lane.lane === 'batch')!.completedPerMinute).toBeCloseTo(2 / 5);
    expect(lanes.find((lane) => lane.lane === 'interactive')!.runSeconds).not.toBeNull();
    const [model] = await ops.models();
    expect(model).toMatchObject({ model: 'dall-e-2', completedLastHour: 3, failedLastHour: 1, failuresByClass: { invalid_input: 1 } });
    expect((await ops.failures())[0]).toMatchObject({ errorClass: 'invalid_input', count: 1, sample: { jobId: 'job-bad', lane: 'async', model: 'dall-e-2' } });
    expect((await ops.history('minute')).series[`${name}/batch`]!.at(-1)!.completed).toBe(2);

    expect((await ops.findJobs({ text: 'job-good' })).map((job) => job.status)).toEqual(['succeeded']);
    expect((await ops.findJobs({ text: BATCH_ID })).map((job) => job.customId)).toEqual(['row-1', 'row-2']);
    expect((await ops.findJobs({ text: `${BATCH_ID}/row-2` })).map((job) => job.id)).toEqual([`${BATCH_ID}-2`]);
    expect((await ops.findJobs({ text: OWNER.slice(0, 8) })).length).toBe(4);
    expect((await ops.findJobs({ status: 'failed' })).map((job) => job.id)).toEqual(['job-bad']);

    const detail = await ops.job('job-good');
    expect(detail).toMatchObject({ status: 'succeeded', worker: 'ops-test-worker', operation: 'generation', owner: OWNER.slice(0, 16), outputs: [{ key: 'jobs/job-good/output/0.png', url: 'https://signed.test/jobs/job-good/output/0.png' }] });
    expect((await ops.job('job-bad'))!.error).toMatchObject({ errorClass: 'invalid_input' });
    expect(await ops.job('job-none')).toBeNull();
  });

  it('pauses a lane so no worker takes its jobs, resumes it, retries a failed job and logs each action', async () => {
    failing.add('job-retry');
    await startWorkers();
    const act = actions();
    expect(await act.pause({ queue: name, lane: 'interactive' }, 'alice')).toBe(1);
    await enqueue('job-held');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await status('job-held')).toBe('queued');
    expect((await reader().lanes()).find((lane) => lane.lane === 'interactive')).toMatchObject({ paused: true, waiting: 1 });
    expect((await reader().lanes()).find((lane) => lane.lane === 'interactive')!.oldestWaitingAgeMs).toBeGreaterThanOrEqual(400);
    expect(await act.resume({ queue: name }, 'alice')).toBe(3);
    await until(async () => (await status('job-held')) === 'succeeded', 'the held job to run');

    await enqueue('job-retry');
    await until(async () => (await status('job-retry')) === 'failed', 'the job to fail');
    failing.delete('job-retry');
    expect(await act.retryJob('job-retry', 'bob')).toBe(1);
    await until(async () => (await status('job-retry')) === 'succeeded', 'the retried job to succeed');
    expect(await act.retryJob('job-retry', 'bob')).toBe(0);

    const log = await reader().actions();
    expect(log.map((entry) => [entry.action, entry.who, entry.affected])).toEqual([
      ['retry', 'bob', 0],
      ['retry', 'bob', 1],
      ['resume', 'alice', 3],
      ['pause', 'alice', 1],
    ]);
  });

  it('drains waiting jobs as cancelled, cancels one, retries failed ones by filter and cleans old failures', async () => {
    const act = actions();
    for (const id of ['job-1', 'job-2', 'job-3', 'job-4']) await enqueue(id, 'async');
    expect(await act.cancelJob('job-4', 'carol')).toBe(1);
    expect(await status('job-4')).toBe('cancelled');
    expect(await act.drain({ queue: name, lane: 'async' }, 'carol')).toBe(3);
    expect(await Promise.all(['job-1', 'job-2', 'job-3'].map(status))).toEqual(['cancelled', 'cancelled', 'cancelled']);

    failing.add('job-f1');
    failing.add('job-f2');
    await enqueue('job-f1');
    await enqueue('job-f2');
    await startWorkers();
    await until(async () => (await status('job-f1')) === 'failed' && (await status('job-f2')) === 'failed', 'failures');
    failing.clear();
    // Cancelled jobs are failed in BullMQ but not retried by filter: only real failures are.
    expect(await act.retryFailed({ queue: name }, 'dave')).toBe(2);
    await until(async () => (await status('job-f1')) === 'succeeded' && (await status('job-f2')) === 'succeeded', 'retries');
    expect(await act.clean({ queue: name, lane: 'async' }, 'failed', 0, 'dave')).toBe(4);
    expect(await status('job-1')).toBeUndefined();
    expect((await reader().actions())[0]).toMatchObject({ action: 'clean-failed', who: 'dave', affected: 4 });
  });
});
