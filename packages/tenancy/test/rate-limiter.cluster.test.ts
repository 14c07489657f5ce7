import { Redis } from 'ioredis';
import { createRedisConnection, type RedisClient } from '@imageforge/queue';
import { useRedisCluster } from '@imageforge/testing';
import { jobSlotReleaseHook, limitKeys, RateLimiter } from '../src';

const cluster = useRedisCluster();

describe(`${RateLimiter.name} on Redis Cluster`, () => {
  let redis: RedisClient;

  beforeAll(async () => {
    redis = createRedisConnection({ clusterNodes: cluster.nodes }, { role: 'producer' });
    if (redis.status !== 'ready') await new Promise<void>((resolve) => redis.once('ready', () => resolve()));
  });
  afterAll(async () => {
    await redis.quit();
  });

  it("runs every script of a key on one slot, and different keys' on different slots", async () => {
    let now = 1_800_000_000_000;
    const limiter = new RateLimiter({ redis, prefix: 'cluster-test', now: () => now });
    const owners = Array.from({ length: 8 }, (_, i) => `owner-${i}`);
    for (const owner of owners) {
      expect((await limiter.checkRequest(owner, { requestsPerMinute: 1 }))?.refusal).toBeUndefined();
      expect((await limiter.checkRequest(owner, { requestsPerMinute: 1 }))?.refusal).toBeDefined();
      const limits = { imagesPerMinute: 5, dailyImages: 5, concurrentJobs: 1 };
      expect((await limiter.admitJob(owner, limits, { jobId: 'a', images: 2 }))?.verdict).toBe('ok');
      expect((await limiter.admitJob(owner, limits, { jobId: 'b', images: 1 }))?.verdict).toBe('jobs');
      await jobSlotReleaseHook({ redis, prefix: 'cluster-test' })({ jobId: 'a', payload: { owner } });
      now += 1;
      expect((await limiter.admitJob(owner, limits, { jobId: 'b', images: 1 }))?.verdict).toBe('ok');
    }
    // The slots as the server computes them.
    const node = new Redis(cluster.nodes[0]!);
    const slotOf = async (key: string) => Number(await node.call('CLUSTER', 'KEYSLOT', key));
    try {
      const slots = new Set(await Promise.all(owners.map((owner) => slotOf(limitKeys('cluster-test', owner).requests))));
      expect(slots.size).toBeGreaterThan(1);
      for (const owner of owners) {
        const keySlots = await Promise.all(Object.values(limitKeys('cluster-test', owner)).map(slotOf));
        expect(new Set(keySlots).size).toBe(1);
      }
    } finally {
      node.disconnect();
    }
  });
});
