import type { Queue } from 'bullmq';
import { SLOT_STARTED_FIELD } from './job-processor';
import type { RedisClient } from './redis-connection';

/*
 * Jobs a worker has taken but holds until a slot frees (active, no slot mark) are next in
 * line, whichever of them it is. Behind them: BullMQ LPUSHes new jobs onto `wait` (or
 * `paused`) and workers RPOPLPUSH from the right, so the head is the right end
 * (LLEN - 1 - LPOS); workers drain those lists before `prioritized` (ZPOPMIN), so a
 * prioritized job waits behind all of them. `active` is bounded by the workers' slots.
 * One lane queue's keys only: they share a hash tag, so it runs on Redis Cluster.
 */
const POSITION_SCRIPT = `
local held = 0
for _, id in ipairs(redis.call("LRANGE", KEYS[4], 0, -1)) do
  if not redis.call("HGET", ARGV[2] .. id, ARGV[3]) then
    if id == ARGV[1] then return 0 end
    held = held + 1
  end
end
for _, list in ipairs({KEYS[1], KEYS[2]}) do
  local index = redis.call("LPOS", list, ARGV[1])
  if index then return held + redis.call("LLEN", list) - 1 - index end
end
local rank = redis.call("ZRANK", KEYS[3], ARGV[1])
if rank then return held + redis.call("LLEN", KEYS[1]) + redis.call("LLEN", KEYS[2]) + rank end
return -1
`;

/**
 * The job's 0-based place in its lane queue's wait order, or null when it is not waiting
 * there (started, finished, delayed for a retry, or unknown).
 */
export async function jobQueuePosition(queue: Queue, connection: RedisClient, jobId: string): Promise<number | null> {
  const keys = [queue.toKey('wait'), queue.toKey('paused'), queue.toKey('prioritized'), queue.toKey('active')];
  const position = Number(await connection.eval(POSITION_SCRIPT, keys.length, ...keys, jobId, queue.toKey(''), SLOT_STARTED_FIELD));
  return position >= 0 ? position : null;
}
