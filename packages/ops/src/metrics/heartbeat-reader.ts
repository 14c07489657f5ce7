import type { RedisClient } from '@imageforge/queue';
import { OpsKeys } from '../ops-keys';
import type { WorkerHeartbeat } from '../ops-views';

/**
 * Every worker heartbeat still stored: names from the `workers` sorted set, records by one MGET
 * (all under the `{ops}` hash tag, one slot). A name whose record expired is skipped.
 */
export async function readWorkerHeartbeats(redis: RedisClient, prefix?: string): Promise<WorkerHeartbeat[]> {
  const keys = new OpsKeys(prefix);
  const names = await redis.zrange(keys.workers, '0', '-1');
  if (names.length === 0) return [];
  const records = await redis.mget(...names.map((name) => keys.worker(name)));
  return records.flatMap((record) => {
    if (record === null) return [];
    // One unreadable record (a half-written key, another deploy's shape) must not fail the whole scrape.
    try {
      return [JSON.parse(record) as WorkerHeartbeat];
    } catch {
      return [];
    }
  });
}

/** A heartbeat older than three of its intervals: the worker is gone or stuck. */
export function isHeartbeatLost(heartbeat: Pick<WorkerHeartbeat, 'heartbeatAt' | 'intervalMs'>, now = Date.now()): boolean {
  return now - heartbeat.heartbeatAt > 3 * heartbeat.intervalMs;
}
