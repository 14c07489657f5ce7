import type { PaceBook } from '@imageforge/jobs';
import { DEFAULT_QUEUE_PREFIX } from './queue-keys';
import type { RedisClient } from './redis-connection';

/*
 * An exponentially weighted average in one hash field per subject, folded in Redis so
 * concurrent workers never overwrite each other's measurement with a stale read.
 */
const FOLD_SCRIPT = `
local current = tonumber(redis.call("HGET", KEYS[1], ARGV[1]))
local sample, weight = tonumber(ARGV[2]), tonumber(ARGV[3])
if current then sample = current + weight * (sample - current) end
redis.call("HSET", KEYS[1], ARGV[1], tostring(sample))
return 1
`;

export interface RedisPaceBookOptions {
  redis: RedisClient;
  /** QUEUE_PREFIX; the hash is `<prefix>:{pace}:seconds-per-unit`. Default `bull`. */
  prefix?: string;
  /** Weight of the newest measurement: 0.2 follows a change within about ten jobs without jumping on one odd run. */
  weight?: number;
}

/** PaceBook in one small Redis hash (one field per model), readable by every API process. */
export class RedisPaceBook implements PaceBook {
  private readonly key: string;
  private readonly weight: number;

  constructor(private readonly options: RedisPaceBookOptions) {
    this.key = `${options.prefix ?? DEFAULT_QUEUE_PREFIX}:{pace}:seconds-per-unit`;
    this.weight = options.weight ?? 0.2;
  }

  async record(subject: string, secondsPerUnit: number): Promise<void> {
    if (!Number.isFinite(secondsPerUnit) || secondsPerUnit < 0) return;
    await this.options.redis.eval(FOLD_SCRIPT, 1, this.key, subject, String(secondsPerUnit), String(this.weight));
  }

  async read(subjects: readonly string[]): Promise<Map<string, number>> {
    const unique = [...new Set(subjects)];
    if (unique.length === 0) return new Map();
    const values = await this.options.redis.hmget(this.key, ...unique);
    const known = new Map<string, number>();
    unique.forEach((subject, i) => {
      const value = Number(values[i] ?? Number.NaN);
      if (Number.isFinite(value)) known.set(subject, value);
    });
    return known;
  }
}
