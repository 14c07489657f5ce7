import { Redis } from 'ioredis';

/** Reads Redis facts the report needs without going through BullMQ. */
export class RedisProbe {
  private constructor(private readonly redis: Redis) {}

  static async connect(url: string): Promise<RedisProbe> {
    const redis = new Redis(url, { maxRetriesPerRequest: 3, lazyConnect: true });
    await redis.connect();
    return new RedisProbe(redis);
  }

  async version(): Promise<string> {
    return this.infoField('server', 'redis_version');
  }

  async usedMemory(): Promise<number> {
    return Number(await this.infoField('memory', 'used_memory'));
  }

  /**
   * Finds the key `<prefix>:<queue>:<suffix>` whatever prefix the service chose
   * (`bull`, or a hash tag such as `{images}` for Cluster).
   */
  async findQueueKey(queue: string, suffix: string): Promise<string | undefined> {
    let cursor = '0';
    for (let page = 0; page < 10_000; page++) {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `*:${queue}:${suffix}`, 'COUNT', 1000);
      const hit = keys.find((key) => key.endsWith(`:${queue}:${suffix}`));
      if (hit) return hit;
      cursor = next;
      if (cursor === '0') return undefined;
    }
    return undefined;
  }

  /** Cardinality of a sorted set, 0 when it does not exist. */
  async zcard(key: string | undefined): Promise<number> {
    return key ? this.redis.zcard(key) : 0;
  }

  /** Members with the highest scores (for `completed`, the most recently finished jobs). */
  async newestMembers(key: string, count: number): Promise<string[]> {
    return this.redis.zrevrange(key, 0, count - 1);
  }

  async xlen(key: string | undefined): Promise<number> {
    return key ? this.redis.xlen(key) : 0;
  }

  /** BullMQ key prefix the service uses for `queue` (`bull` unless configured). */
  async queuePrefix(queue: string): Promise<string | undefined> {
    const meta = await this.findQueueKey(queue, 'meta');
    return meta?.slice(0, -`:${queue}:meta`.length);
  }

  /** The fields of a job's hash, or undefined when the job is gone. */
  async jobHash(queue: string, jobId: string): Promise<Record<string, string> | undefined> {
    const meta = await this.findQueueKey(queue, 'meta');
    if (!meta) return undefined;
    const fields = await this.redis.hgetall(`${meta.slice(0, -':meta'.length)}:${jobId}`);
    return Object.keys(fields).length > 0 ? fields : undefined;
  }

  /** Calls per command since the server started (`INFO commandstats`), e.g. `{ evalsha: 1200, hgetall: 40 }`. */
  async commandCalls(): Promise<Record<string, number>> {
    const info = await this.redis.info('commandstats');
    const calls: Record<string, number> = {};
    for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls[match[1] as string] = Number(match[2]);
    return calls;
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }

  private async infoField(section: string, field: string): Promise<string> {
    const info = await this.redis.info(section);
    const match = new RegExp(`^${field}:(.*)$`, 'm').exec(info);
    if (!match?.[1]) throw new Error(`INFO ${section} has no ${field}`);
    return match[1].trim();
  }
}

/** Calls per command between two {@link RedisProbe.commandCalls} readings, most called first, zeros left out. */
export function commandDelta(before: Record<string, number>, after: Record<string, number>): Array<[string, number]> {
  return Object.entries(after)
    .map(([name, calls]): [string, number] => [name, calls - (before[name] ?? 0)])
    .filter(([, calls]) => calls > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}
