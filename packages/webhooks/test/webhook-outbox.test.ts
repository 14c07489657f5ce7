import { WEBHOOKS_QUEUE } from '@imageforge/jobs';
import type { RedisClient } from '@imageforge/queue';
import { useRedisServer } from '@imageforge/testing';
import { deliveryIdFor, targetKey, WebhookDeliveryLog, WebhookOutbox, type WebhookConfig } from '../src';
import { event, newSecret, readyConnection, uniquePrefix } from './webhook-test-kit';

const OWNER_A = 'a'.repeat(64);
const OWNER_B = 'b'.repeat(64);

describe('WebhookOutbox', () => {
  let connection: RedisClient;
  // Added before the server's own hook, so it runs first: the connection ends while Redis is still up.
  afterAll(() => connection?.disconnect());
  const redis = useRedisServer();
  const secrets = { all: newSecret(), batches: newSecret(), mine: newSecret(), theirs: newSecret() };
  const config: WebhookConfig = {
    endpoints: [
      { id: 'all', url: 'https://hooks.example.com/all', secret: secrets.all },
      { id: 'batches', url: 'https://hooks.example.com/batches', secret: secrets.batches, events: ['batch.*'] },
      { id: 'mine', url: 'https://hooks.example.com/mine', secret: secrets.mine, events: ['image.job.succeeded'], owner: OWNER_A },
      { id: 'theirs', url: 'https://hooks.example.com/theirs', secret: secrets.theirs, owner: OWNER_B },
    ],
    allowedHosts: ['hooks.example.com'],
    urlSecret: newSecret(),
    allowPrivateAddresses: false,
  };
  let outbox: WebhookOutbox;
  let log: WebhookDeliveryLog;

  beforeAll(async () => {
    connection = await readyConnection(redis.url);
  });
  beforeEach(() => {
    const prefix = uniquePrefix();
    log = new WebhookDeliveryLog({ connection, prefix });
    outbox = new WebhookOutbox({ connection, prefix, config, log });
  });
  afterEach(async () => {
    await outbox.close();
  });

  const queuedJobs = async () => outbox.jobs.queue(WEBHOOKS_QUEUE).getJobs(['wait', 'delayed', 'prioritized']);

  it('queues one delivery per matching endpoint, by filter and owner, plus the event’s own URL', async () => {
    const emitted = event({ owner: OWNER_A, url: 'https://hooks.example.com/own' });
    await outbox.emit(emitted);
    const jobs = await queuedJobs();
    const targets = jobs.map((job) => (job.data.target.kind === 'endpoint' ? job.data.target.endpointId : job.data.target.url)).sort();
    expect(targets).toEqual(['all', 'https://hooks.example.com/own', 'mine']);
    for (const job of jobs) {
      expect(job.id).toBe(deliveryIdFor(emitted.id, job.data.target));
      expect(job.data.event).toEqual({ object: 'event', id: emitted.id, type: 'image.job.succeeded', created_at: emitted.createdAt, data: emitted.data });
      // Secrets are looked up at delivery time; none travels through Redis.
      for (const secret of [...Object.values(secrets), config.urlSecret!]) expect(JSON.stringify(job.data)).not.toContain(secret.slice(6));
    }

    await outbox.emit(event({ type: 'batch.completed', owner: OWNER_B, data: { id: 'batch_1' } }));
    const batchTargets = (await queuedJobs()).filter((job) => job.data.event.type === 'batch.completed').map((job) => job.data.target.endpointId).sort();
    expect(batchTargets).toEqual(['all', 'batches', 'theirs']);
  });

  it('queues nothing new when the same event is emitted again (a re-run step)', async () => {
    const emitted = event({ owner: OWNER_A });
    await outbox.emit(emitted);
    await outbox.emit(emitted);
    await outbox.emit({ ...emitted, createdAt: emitted.createdAt + 5 });
    expect(await queuedJobs()).toHaveLength(2);
    const { deliveries } = await log.list({ limit: 100 });
    expect(deliveries.map((delivery) => delivery.id).sort()).toEqual(
      ['all', 'mine'].map((endpointId) => deliveryIdFor(emitted.id, { kind: 'endpoint', endpointId })).sort(),
    );
    expect(deliveries.every((delivery) => delivery.state === 'pending' && delivery.attempts === 0)).toBe(true);
  });

  it('gives different events and different targets different delivery ids', () => {
    const target = { kind: 'endpoint', endpointId: 'all' } as const;
    expect(deliveryIdFor('evt_1', target)).toBe(deliveryIdFor('evt_1', target));
    expect(deliveryIdFor('evt_1', target)).not.toBe(deliveryIdFor('evt_2', target));
    expect(deliveryIdFor('evt_1', target)).not.toBe(deliveryIdFor('evt_1', { kind: 'endpoint', endpointId: 'mine' }));
    expect(deliveryIdFor('evt_1', target)).toMatch(/^whd_[0-9a-f]{40}$/);
  });

  it('skips disabled targets, and emits to nothing when nothing matches', async () => {
    await log.disable(targetKey({ kind: 'endpoint', endpointId: 'all' }), 'test');
    await outbox.emit(event({ owner: OWNER_A }));
    expect((await queuedJobs()).map((job) => job.data.target.endpointId)).toEqual(['mine']);
    await outbox.emit(event({ type: 'image.job.failed', owner: 'someone-else' }));
    expect(await queuedJobs()).toHaveLength(1);
  });

  it('keeps the log index capped, deleting what falls off it', async () => {
    const prefix = uniquePrefix();
    const small = new WebhookDeliveryLog({ connection, prefix, indexSize: 3 });
    const capped = new WebhookOutbox({ connection, prefix, config: { endpoints: [config.endpoints[0]!] }, log: small });
    const events = Array.from({ length: 5 }, () => event());
    for (const emitted of events) await capped.emit(emitted);
    const { deliveries, hasMore } = await small.list({ limit: 10 });
    expect(hasMore).toBe(false);
    expect(deliveries.map((delivery) => delivery.event.id)).toEqual(events.slice(2).map((emitted) => emitted.id).reverse());
    expect(await small.get(deliveryIdFor(events[0]!.id, { kind: 'endpoint', endpointId: 'all' }))).toBeNull();
    const page = await small.list({ limit: 2 });
    expect(page.hasMore).toBe(true);
    expect(page.deliveries).toHaveLength(2);
    await capped.close();
  });
});
