import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createRedisConnection, type RedisClient } from '@imageforge/queue';
import { LocalObjectStorage } from '@imageforge/storage';
import { useRedisCluster } from '@imageforge/testing';
import { FileService } from '../src';

const cluster = useRedisCluster();

describe(`${FileService.name} on Redis Cluster`, () => {
  let redis: RedisClient;
  let root: string;

  beforeAll(async () => {
    redis = createRedisConnection({ clusterNodes: cluster.nodes }, { role: 'producer' });
    // A producer connection refuses commands until the cluster's slots are known, as the API waits on it.
    if (redis.status !== 'ready') await new Promise<void>((resolve) => redis.once('ready', () => resolve()));
    root = await mkdtemp(join(tmpdir(), 'files-cluster-'));
  });
  afterAll(async () => {
    await redis.quit();
    await rm(root, { recursive: true, force: true });
  });

  it('creates, pages, sweeps and deletes with every key in one slot', async () => {
    let clock = 1_800_000_000_000;
    const storage = new LocalObjectStorage({ root, publicBaseUrl: 'http://127.0.0.1:1/objects', signingSecret: 'files-cluster-secret-01' });
    const files = new FileService({ redis, storage, prefix: 'cluster-test', now: () => clock });
    const created = [];
    for (let i = 0; i < 3; i += 1) {
      clock += 10;
      created.push(await files.create({ owner: 'o', purpose: 'batch', filename: `${i}.jsonl`, body: Readable.from([Buffer.from(`${i}\n`)]) }));
    }
    const first = await files.list('o', { limit: 2, order: 'desc' });
    expect(first.data.map((record) => record.id)).toEqual([created[2]!.id, created[1]!.id]);
    expect(first.hasMore).toBe(true);
    const second = await files.list('o', { limit: 2, order: 'desc', after: created[1]!.id, purpose: 'batch' });
    expect(second).toEqual({ data: [created[0]], hasMore: false });
    expect(await files.delete('o', created[0]!.id)).toBe(true);
    expect(await files.sweepExpired(created[2]!.expiresAt!, 10)).toBe(2);
    expect((await files.list('o', { limit: 10, order: 'asc' })).data).toEqual([]);
  });
});
