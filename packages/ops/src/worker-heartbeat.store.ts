import type { RedisClient } from '@imageforge/queue';
import { isHeartbeatLost, readWorkerHeartbeats } from './metrics/heartbeat-reader';
import { exec } from './ops-history.recorder';
import { OpsKeys } from './ops-keys';
import type { WorkerHeartbeat, WorkerView } from './ops-views';

/** A heartbeat outlives its worker by this many intervals, so a lost worker shows as lost for a while. */
export const HEARTBEAT_TTL_INTERVALS = 20;

/**
 * Heartbeats as keys with a TTL (a crashed worker's entry ends by itself) plus a sorted set of
 * names by heartbeat time, listed without SCAN and pruned of names whose key has expired.
 */
export class WorkerHeartbeatStore {
  private readonly keys: OpsKeys;

  constructor(private readonly options: { redis: RedisClient; prefix?: string }) {
    this.keys = new OpsKeys(options.prefix);
  }

  async publish(heartbeat: WorkerHeartbeat): Promise<void> {
    const ttlMs = heartbeat.intervalMs * HEARTBEAT_TTL_INTERVALS;
    const pipeline = this.options.redis.pipeline();
    pipeline.set(this.keys.worker(heartbeat.name), JSON.stringify(heartbeat), 'PX', ttlMs);
    pipeline.zadd(this.keys.workers, heartbeat.heartbeatAt, heartbeat.name);
    pipeline.zremrangebyscore(this.keys.workers, '-inf', heartbeat.heartbeatAt - ttlMs);
    await exec(pipeline);
  }

  /** A worker that closed cleanly leaves nothing behind. */
  async remove(name: string): Promise<void> {
    const pipeline = this.options.redis.pipeline();
    pipeline.del(this.keys.worker(name));
    pipeline.zrem(this.keys.workers, name);
    await exec(pipeline);
  }

  /** Every worker with a heartbeat still stored, most recent first; lost past three intervals without one. */
  async list(now: number): Promise<WorkerView[]> {
    const heartbeats = await readWorkerHeartbeats(this.options.redis, this.options.prefix);
    return heartbeats
      .sort((a, b) => b.heartbeatAt - a.heartbeatAt)
      .map((heartbeat) => ({ ...heartbeat, heartbeatAgeMs: Math.max(0, now - heartbeat.heartbeatAt), lost: isHeartbeatLost(heartbeat, now) }));
  }
}
