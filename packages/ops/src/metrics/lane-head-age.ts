import { laneQueueNames, queuePrefix, type RedisClient } from '@imageforge/queue';
import { JOB_LANES, type JobLane } from '@imageforge/jobs';

/**
 * The enqueue time of the job a lane serves next: the tail of BullMQ's wait list (workers take
 * from the right) or the head of its prioritized set, whichever was queued first. One script per
 * lane queue, whose keys share its hash tag, so it runs on one Cluster slot.
 */
const HEAD_TIMESTAMP_SCRIPT = `
local best = nil
local waiting = redis.call('LINDEX', KEYS[1], -1)
if waiting then best = tonumber(redis.call('HGET', ARGV[1] .. waiting, 'timestamp')) end
local prioritized = redis.call('ZRANGE', KEYS[2], 0, 0)
if prioritized[1] then
  local t = tonumber(redis.call('HGET', ARGV[1] .. prioritized[1], 'timestamp'))
  if t and (not best or t < best) then best = t end
end
if best then return tostring(best) end
return false
`;

export interface LaneHeadAge {
  queue: string;
  lane: JobLane;
  /** 0 when nothing waits. */
  ageSeconds: number;
}

/** Age of the oldest waiting job of every lane of `queues`, read in one round trip per lane queue, sent at once. */
export async function readLaneHeadAges(redis: RedisClient, prefix: string, queues: readonly string[], now = Date.now()): Promise<LaneHeadAge[]> {
  const lanes = queues.flatMap((queue) => laneQueueNames(queue).map((laneQueue, index) => ({ queue, laneQueue, lane: JOB_LANES[index]! })));
  return Promise.all(
    lanes.map(async ({ queue, laneQueue, lane }) => {
      const base = `${queuePrefix(prefix, laneQueue)}:${laneQueue}:`;
      const head = (await redis.eval(HEAD_TIMESTAMP_SCRIPT, 2, `${base}wait`, `${base}prioritized`, base)) as string | null;
      return { queue, lane, ageSeconds: head === null ? 0 : Math.max(0, (now - Number(head)) / 1000) };
    }),
  );
}
