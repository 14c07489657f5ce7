import { createRedisConnection, type RedisClient } from '@imageforge/queue';
import { useRedisServer } from '@imageforge/testing';
import { field, HOUR_MS, MINUTE_BUCKETS, MINUTE_MS, OpsHistoryQuery, OpsHistoryRecorder, OpsKeys, type SettledFact } from '../src';

describe('ops history buckets', () => {
  const redis = useRedisServer();
  let connection: RedisClient;
  let clock: number;
  let prefix: string;
  const now = () => clock;
  const settled = (overrides: Partial<SettledFact> = {}): SettledFact => ({
    queue: 'images',
    lane: 'interactive',
    model: 'dall-e-2',
    owner: 'ab'.repeat(32),
    status: 'succeeded',
    images: 1,
    waitSeconds: 0.2,
    runSeconds: 1.5,
    ...overrides,
  });

  beforeEach(async () => {
    connection = createRedisConnection(redis.url, { role: 'producer' });
    await new Promise((resolve) => connection.once('ready', resolve));
    clock = Date.UTC(2026, 0, 10, 12, 30, 15);
    prefix = `t${Math.random().toString(36).slice(2)}`;
  });
  afterEach(() => connection.disconnect());

  it('sums what a process counts and writes it once a flush comes, failures at once', async () => {
    const recorder = new OpsHistoryRecorder({ redis: connection, prefix, now });
    const query = new OpsHistoryQuery({ redis: connection, prefix });
    for (let index = 0; index < 50; index += 1) await recorder.recordSettled(settled({ images: 2 }));
    await recorder.recordEnqueued([{ queue: 'images', lane: 'interactive', model: 'dall-e-2' }]);
    const bucket = new OpsKeys(prefix).bucket('minute', Math.floor(clock / MINUTE_MS) * MINUTE_MS);
    expect(await connection.exists(bucket)).toBe(0);

    await recorder.flush();
    expect((await query.series('minute', ['images/interactive'], clock)).series['images/interactive']!.at(-1)).toMatchObject({ enqueued: 1, completed: 50, images: 100 });
    expect(await connection.ttl(bucket)).toBeGreaterThan(23 * 3600);

    // A failure goes out with everything pending; what is left goes out on close.
    await recorder.recordSettled(settled());
    await recorder.recordSettled(settled({ status: 'failed', images: 0, errorClass: 'engine_error' }));
    expect((await query.series('minute', ['images/interactive'], clock)).series['images/interactive']!.at(-1)).toMatchObject({ completed: 51, failed: 1 });
    await recorder.recordSettled(settled());
    await recorder.close();
    expect((await query.series('minute', ['images/interactive'], clock)).series['images/interactive']!.at(-1)).toMatchObject({ completed: 52 });
  });

  it('counts enqueued, completed, failed and images per lane and rolls minutes up into hours', async () => {
    const recorder = new OpsHistoryRecorder({ redis: connection, prefix, now, flushIntervalMs: 0 });
    const query = new OpsHistoryQuery({ redis: connection, prefix });
    await recorder.recordEnqueued([{ queue: 'images', lane: 'interactive', model: 'dall-e-2' }, { queue: 'images', lane: 'batch', model: 'dall-e-2', batchId: 'batch_x' }]);
    await recorder.recordSettled(settled({ images: 2 }));
    clock += MINUTE_MS;
    await recorder.recordSettled(settled({ status: 'failed', images: 0, errorClass: 'engine_error' }));
    await recorder.recordDepth([{ queue: 'images', lane: 'interactive', waiting: 7 }]);

    const minutes = await query.series('minute', ['images/interactive', 'images/batch'], clock);
    expect(minutes.series['images/interactive']).toHaveLength(MINUTE_BUCKETS);
    const [previous, last] = minutes.series['images/interactive']!.slice(-2);
    expect(previous).toMatchObject({ enqueued: 1, completed: 1, failed: 0, images: 2 });
    expect(last).toMatchObject({ completed: 0, failed: 1, depth: 7, t: Math.floor(clock / MINUTE_MS) * MINUTE_MS });
    expect(minutes.series.all!.at(-2)).toMatchObject({ enqueued: 2, completed: 1 });

    const hours = await query.series('hour', ['images/interactive'], clock);
    expect(hours.series['images/interactive']!.at(-1)).toMatchObject({ enqueued: 1, completed: 1, failed: 1, images: 2, t: Math.floor(clock / HOUR_MS) * HOUR_MS });
    expect(await connection.zrange(new OpsKeys(prefix).batches, '0', '-1')).toEqual(['batch_x']);
  });

  it('gives percentiles from summed histogram bins and failure classes per model', async () => {
    const recorder = new OpsHistoryRecorder({ redis: connection, prefix, now, flushIntervalMs: 0 });
    for (let index = 0; index < 90; index += 1) await recorder.recordSettled(settled({ runSeconds: 0.4 }));
    clock += MINUTE_MS;
    for (let index = 0; index < 10; index += 1) await recorder.recordSettled(settled({ runSeconds: 25, status: 'failed', images: 0, errorClass: 'out_of_memory' }));
    const totals = await new OpsHistoryQuery({ redis: connection, prefix }).totals('minute', 60, clock);
    const run = totals.percentiles((metric) => field.model('dall-e-2', metric), 'run')!;
    expect(run.p50).toBeGreaterThan(0.25);
    expect(run.p50).toBeLessThanOrEqual(0.5);
    expect(run.p99).toBeGreaterThan(20);
    expect(run.p99).toBeLessThanOrEqual(30);
    expect(totals.failureClasses((metric) => field.model('dall-e-2', metric))).toEqual({ out_of_memory: 10 });
    expect(totals.get(field.lane('images/interactive', 'done'))).toBe(90);
  });

  it('expires buckets so memory stays bounded by the span shown', async () => {
    await new OpsHistoryRecorder({ redis: connection, prefix, now, flushIntervalMs: 0 }).recordSettled(settled());
    const keys = new OpsKeys(prefix);
    const minuteTtl = await connection.ttl(keys.bucket('minute', Math.floor(clock / MINUTE_MS) * MINUTE_MS));
    const hourTtl = await connection.ttl(keys.bucket('hour', Math.floor(clock / HOUR_MS) * HOUR_MS));
    expect(minuteTtl).toBeGreaterThan(24 * 3600 - 10);
    expect(minuteTtl).toBeLessThanOrEqual(24 * 3600 + 60);
    expect(hourTtl).toBeGreaterThan(30 * 24 * 3600 - 10);
    expect(hourTtl).toBeLessThanOrEqual(30 * 24 * 3600 + 3600);
  });

  it('sums images and GPU-seconds per owner prefix per hour and UTC day, and keeps the last failure sample', async () => {
    const recorder = new OpsHistoryRecorder({ redis: connection, prefix, now, flushIntervalMs: 0 });
    await recorder.recordSettled(settled({ images: 3, runSeconds: 2 }));
    await recorder.recordSettled(settled({ owner: 'cd'.repeat(32), images: 1, runSeconds: 0.5 }));
    clock += HOUR_MS;
    await recorder.recordSettled(settled({ images: 1, runSeconds: 1 }));
    const sample = { jobId: 'job-1', queue: 'images', lane: 'interactive' as const, model: 'dall-e-2', params: { n: 1 }, attempts: 3, message: 'CUDA out of memory', stack: 'Error: CUDA out of memory\n  at x' };
    await recorder.recordSettled(settled({ status: 'failed', images: 0, errorClass: 'out_of_memory', sample }));
    const query = new OpsHistoryQuery({ redis: connection, prefix });

    const hours = await query.usage('hour', 24, clock);
    expect(hours.map((row) => [row.owner, row.images, row.gpuSeconds])).toEqual([
      ['ab'.repeat(8), 3, 2],
      ['cd'.repeat(8), 1, 0.5],
      ['ab'.repeat(8), 1, 2.5],
    ]);
    const days = await query.usage('day', 30, clock);
    expect(days).toEqual([
      { owner: 'ab'.repeat(8), t: Date.UTC(2026, 0, 10), images: 4, gpuSeconds: 4.5 },
      { owner: 'cd'.repeat(8), t: Date.UTC(2026, 0, 10), images: 1, gpuSeconds: 0.5 },
    ]);
    const failures = await query.failures(clock);
    expect(failures).toEqual([{ errorClass: 'out_of_memory', count: 1, lastAt: clock, sample }]);
  });
});
