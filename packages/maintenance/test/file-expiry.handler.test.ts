import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { FileService } from '@imageforge/files';
import { createRedisConnection, type RedisClient } from '@imageforge/queue';
import { LocalObjectStorage } from '@imageforge/storage';
import { useRedisServer } from '@imageforge/testing';
import { createFileExpiryHandler } from '../src';

const redisServer = useRedisServer();

describe(createFileExpiryHandler.name, () => {
  let redis: RedisClient;
  let root: string;
  beforeAll(async () => {
    redis = createRedisConnection(redisServer.url, { role: 'producer' });
    root = await mkdtemp(join(tmpdir(), 'file-expiry-'));
  });
  afterAll(async () => {
    await redis.quit();
    await rm(root, { recursive: true, force: true });
  });

  it('deletes files whose expiry passed, bytes and all, and leaves the rest', async () => {
    let now = 1_800_000_000_000;
    const storage = new LocalObjectStorage({ root, publicBaseUrl: 'http://127.0.0.1:1/objects', signingSecret: 'file-expiry-secret-0123' });
    const files = new FileService({ redis, storage, prefix: 'expiry-test', now: () => now });
    const body = () => Readable.from([Buffer.from('{"a":1}\n')]);
    const shortLived = await files.create({ owner: 'o', purpose: 'user_data', filename: 'a.jsonl', body: body(), expiresAfterSeconds: 3600 });
    const kept = await files.create({ owner: 'o', purpose: 'user_data', filename: 'b.jsonl', body: body() });

    const handler = createFileExpiryHandler({ expireFiles: (nowSeconds, pageSize) => files.sweepExpired(nowSeconds, pageSize), clock: () => now });
    await expect(handler({ pageSize: 10 })).resolves.toEqual({ deleted: 0 });
    now += 3601 * 1000;
    await expect(handler({ pageSize: 10 })).resolves.toEqual({ deleted: 1 });
    await expect(storage.head(shortLived.key)).resolves.toBeNull();
    await expect(files.retrieve('o', kept.id)).resolves.toMatchObject({ id: kept.id });
  });
});
