import { createRedisConnection, type RedisClient } from '@imageforge/queue';
import { useRedisServer } from '@imageforge/testing';
import { OpsKeys, WorkerHeartbeatPublisher, WorkerHeartbeatStore } from '../src';

describe('worker heartbeats', () => {
  const redis = useRedisServer();
  let connection: RedisClient;
  let clock: number;
  let prefix: string;

  beforeEach(async () => {
    connection = createRedisConnection(redis.url, { role: 'producer' });
    await new Promise((resolve) => connection.once('ready', resolve));
    clock = 1_000_000;
    prefix = `t${Math.random().toString(36).slice(2)}`;
  });
  afterEach(() => connection.disconnect());

  const publisher = (name: string) =>
    new WorkerHeartbeatPublisher({ redis: connection, prefix, name, queues: ['images'], lanes: ['interactive', 'batch'], intervalMs: 1000, now: () => clock });

  it('publishes loading, then busy with current jobs and counts, then idle, and lists the worker', async () => {
    const worker = publisher('w1');
    worker.setEngines([{ model: 'dall-e-2', kind: 'synthetic', device: 'cpu' }]);
    await worker.start();
    const store = new WorkerHeartbeatStore({ redis: connection, prefix });
    expect((await store.list(clock))[0]).toMatchObject({ name: 'w1', state: 'loading', lost: false, queues: ['images'], engines: [{ model: 'dall-e-2', device: 'cpu' }] });

    worker.ready();
    worker.tracker.onJobEvent('images', 'interactive', { type: 'started', jobId: 'job-a', name: 'image.generate', attempt: 1 });
    worker.tracker.onJobEvent('images', 'interactive', { type: 'started', jobId: 'job-b', name: 'image.generate', attempt: 1 });
    worker.tracker.onJobEvent('images', 'interactive', { type: 'completed', jobId: 'job-b', name: 'image.generate', attempt: 1, durationMs: 5 });
    clock += 1000;
    await worker.beat();
    const [busy] = await store.list(clock);
    expect(busy).toMatchObject({ state: 'busy', done: 1, failed: 0, heartbeatAt: clock, heartbeatAgeMs: 0 });
    expect(busy!.currentJobs.map((job) => job.jobId)).toEqual(['job-a']);

    worker.tracker.onJobEvent('images', 'interactive', { type: 'failed', jobId: 'job-a', name: 'image.generate', attempt: 1, durationMs: 5, error: new Error('boom'), willRetry: false });
    await worker.beat();
    expect((await store.list(clock))[0]).toMatchObject({ state: 'idle', done: 1, failed: 1, currentJobs: [] });
    await worker.drain();
    expect((await store.list(clock))[0]!.state).toBe('draining');
    await worker.close();
    expect(await store.list(clock)).toEqual([]);
  });

  it('reads a worker as lost after three intervals without a heartbeat, and keeps its key for twenty', async () => {
    const worker = publisher('w2');
    await worker.beat();
    const store = new WorkerHeartbeatStore({ redis: connection, prefix });
    expect((await store.list(clock + 3000))[0]).toMatchObject({ name: 'w2', lost: false, heartbeatAgeMs: 3000 });
    expect((await store.list(clock + 3001))[0]).toMatchObject({ name: 'w2', lost: true });
    const ttl = await connection.pttl(new OpsKeys(prefix).worker('w2'));
    expect(ttl).toBeGreaterThan(19_000);
    expect(ttl).toBeLessThanOrEqual(20_000);
    // A crashed worker never closes: its entry stays until the key expires.
    await worker.close(false);
    expect(await store.list(clock + 5000)).toHaveLength(1);
  });
});
