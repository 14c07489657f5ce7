import { DEFAULT_QUEUE_PREFIX } from './queue-keys';
import type { RedisClient } from './redis-connection';

// Extends or ends the lease only for the holder that has it, so a holder whose lease expired and was
// taken by another cannot cut the new holder's short.
const RENEW_SCRIPT = `
if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) end
return 0
`;
const RELEASE_SCRIPT = `
if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end
return 0
`;

export interface RedisLeaseOptions {
  redis: RedisClient;
  /** QUEUE_PREFIX; the key is `<prefix>:{leases}:<name>`. Default `bull`. */
  prefix?: string;
  /** What the lease guards, e.g. `retention-sweep`. */
  name: string;
  /** Milliseconds a lease lasts unless renewed: how long a crashed holder blocks the next one. */
  ttlMs: number;
}

/**
 * One holder at a time across every process on the Redis, for work that must not run twice at
 * once (a storage sweep). One key: a Redis Cluster keeps it on one slot.
 */
export class RedisLease {
  private readonly key: string;

  constructor(private readonly options: RedisLeaseOptions) {
    this.key = `${options.prefix ?? DEFAULT_QUEUE_PREFIX}:{leases}:${options.name}`;
  }

  /** Takes the lease for `holder` unless someone holds it; true when taken. */
  async acquire(holder: string): Promise<boolean> {
    return (await this.options.redis.set(this.key, holder, 'PX', this.options.ttlMs, 'NX')) === 'OK';
  }

  /** Extends the lease while `holder` still has it; false when it expired (and may be someone else's). */
  async renew(holder: string): Promise<boolean> {
    return Number(await this.options.redis.eval(RENEW_SCRIPT, 1, this.key, holder, String(this.options.ttlMs))) === 1;
  }

  /** Ends the lease if `holder` has it. */
  async release(holder: string): Promise<void> {
    await this.options.redis.eval(RELEASE_SCRIPT, 1, this.key, holder);
  }
}
