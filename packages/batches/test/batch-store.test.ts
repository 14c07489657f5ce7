import { createRedisConnection, type RedisClient } from '@imageforge/queue';
import { useRedisServer } from '@imageforge/testing';
import { BatchStore, newBatchId, type BatchRecord } from '../src';

const redis = useRedisServer();
let connection: RedisClient;
let store: BatchStore;

function record(overrides: Partial<BatchRecord> = {}): BatchRecord {
  return {
    id: newBatchId(), owner: 'owner-a', endpoint: '/v1/images/generations', inputFileId: 'file-x', completionWindow: '24h',
    status: 'in_progress', model: null, metadata: { team: 'cats' }, errors: null, outputFileId: null, errorFileId: null,
    outputExpiresAfterSeconds: null, createdAt: 1_000, inProgressAt: null, expiresAt: 87_400, finalizingAt: null, completedAt: null,
    failedAt: null, expiredAt: null, cancellingAt: null, cancelledAt: null, total: 3, completed: 0, failed: 0, cancelled: 0,
    inputTokens: 0, outputTokens: 0, chunkSize: 500, linesExpanded: 0, expandDone: false, stop: null, ...overrides,
  };
}

describe(BatchStore.name, () => {
  beforeAll(async () => {
    connection = createRedisConnection({ url: redis.url }, { role: 'producer', connectionName: 'batch-store-test' });
    await new Promise((resolve) => connection.once('ready', resolve));
    store = new BatchStore({ redis: connection, prefix: `t${Date.now()}` });
  });
  afterAll(async () => {
    await connection.quit();
  });

  it('round-trips a record, nulls and JSON included', async () => {
    const batch = record();
    await store.create(batch);
    await expect(store.get(batch.id)).resolves.toEqual(batch);
    await expect(store.getOwned('someone-else', batch.id)).resolves.toBeNull();
  });

  it('counts each line once however often it is reported, and says when the batch is ready', async () => {
    const batch = record();
    await store.create(batch);
    await expect(store.tally(batch.id, [1], 'completed', { inputTokens: 10, outputTokens: 100 })).resolves.toEqual({ fresh: 1, readyToFinalize: false });
    await expect(store.tally(batch.id, [1], 'completed', { inputTokens: 10, outputTokens: 100 })).resolves.toEqual({ fresh: 0, readyToFinalize: false });
    await expect(store.tally(batch.id, [2, 3], 'failed')).resolves.toEqual({ fresh: 2, readyToFinalize: false });
    await store.update(batch.id, { expandDone: true });
    // All settled and expansion done: the next report (even a repeat) sees it ready.
    await expect(store.tally(batch.id, [3], 'failed')).resolves.toEqual({ fresh: 0, readyToFinalize: true });
    const after = await store.get(batch.id);
    expect([after?.completed, after?.failed, after?.inputTokens, after?.outputTokens]).toEqual([1, 2, 10, 100]);
    await expect(store.settled(batch.id, [1, 2, 3, 4])).resolves.toEqual([true, true, true, false]);

    // Once final, a line reported again (a job re-run after a crash) moves nothing, even with the bitmap gone.
    await store.transition(batch.id, ['in_progress'], { status: 'completed' });
    await store.forgetSettled(batch.id);
    await expect(store.tally(batch.id, [1], 'completed', { inputTokens: 10, outputTokens: 100 })).resolves.toEqual({ fresh: 0, readyToFinalize: false });
    expect(await store.get(batch.id)).toMatchObject({ completed: 1, inputTokens: 10 });
  });

  it('moves the status only from the expected ones', async () => {
    const batch = record({ status: 'validating' });
    await store.create(batch);
    await expect(store.transition(batch.id, ['in_progress'], { status: 'finalizing' })).resolves.toBe(false);
    await expect(store.transition(batch.id, ['validating'], { status: 'in_progress', inProgressAt: 5 })).resolves.toBe(true);
    expect(await store.get(batch.id)).toMatchObject({ status: 'in_progress', inProgressAt: 5 });
    await expect(store.transition(newBatchId(), ['validating'], { status: 'failed' })).resolves.toBe(false);
  });

  it('keeps a count per status that moves with every create and transition, and only with them', async () => {
    const counting = new BatchStore({ redis: connection, prefix: `counts${Date.now()}` });
    const [a, b] = [record({ status: 'validating' }), record({ status: 'validating' })];
    await counting.create(a);
    await counting.create(b);
    expect(await counting.countByStatus()).toEqual({ validating: 2 });
    await counting.transition(a.id, ['validating'], { status: 'in_progress' });
    // A refused transition and one that sets the same status again move nothing.
    await counting.transition(a.id, ['validating'], { status: 'failed' });
    await counting.transition(b.id, ['validating'], { inProgressAt: 7 });
    await counting.transition(a.id, ['in_progress'], { status: 'finalizing' });
    await counting.transition(a.id, ['finalizing'], { status: 'completed' });
    expect(await counting.countByStatus()).toMatchObject({ validating: 1, in_progress: 0, finalizing: 0, completed: 1 });
  });

  it('lists an owner\'s batches newest first, a page at a time', async () => {
    const owner = `lister-${Date.now()}`;
    const made = [];
    for (let index = 0; index < 5; index += 1) {
      const batch = record({ owner, createdAt: 2_000 + index });
      await store.create(batch);
      made.push(batch.id);
    }
    const first = await store.list(owner, { limit: 2 });
    expect(first.data.map((batch) => batch.id)).toEqual([made[4], made[3]]);
    expect(first.hasMore).toBe(true);
    const rest = await store.list(owner, { limit: 10, after: made[3] });
    expect(rest.data.map((batch) => batch.id)).toEqual([made[2], made[1], made[0]]);
    expect(rest.hasMore).toBe(false);
  });
});
