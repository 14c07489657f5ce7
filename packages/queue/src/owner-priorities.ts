import { PRIORITY_LIMIT, type Queue } from 'bullmq';
import type { RedisClient } from './redis-connection';

/** Highest BullMQ priority: its scores are priority · 2^32 + a counter, exact in a double up to 2^21. */
export const MAX_LANE_PRIORITY = PRIORITY_LIMIT;

/*
 * Per-owner virtual time for a lane queue whose jobs all carry a priority. Each owner's
 * jobs get consecutive numbers starting at max(its last number + 1, clock + 1), where the
 * clock is the highest number the lane has dispatched. A newcomer's first job therefore
 * lands right behind the jobs already taken, ahead of the tail of a big batch, and two
 * owners with work queued interleave (BullMQ breaks equal priorities by insertion order).
 *
 * The clock is read from the head of the prioritized set (its lowest waiting number,
 * minus one) and only ever moves up: workers take jobs in priority order, so that head
 * is where dispatch has got to, and a retried job coming back with an old number does
 * not move it back. Reading it here costs the workers nothing per job.
 *
 * Numbers restart at 1 whenever nothing of the lane waits (wait, paused and prioritized
 * empty), which keeps them far below the limit in practice; a retry waiting out its
 * backoff at that moment keeps its old number and runs after the fresh ones below it.
 * Past the limit every number is clamped to it: those jobs still run, first come first
 * served among themselves, until the lane drains and the numbers restart.
 *
 * KEYS: prioritized, wait, paused, clock, owners. ARGV: limit, then owner and count pairs.
 * Returns the first number of each owner, in ARGV order.
 */
const RESERVE_SCRIPT = `
local limit = tonumber(ARGV[1])
if redis.call("ZCARD", KEYS[1]) == 0 and redis.call("LLEN", KEYS[2]) == 0 and redis.call("LLEN", KEYS[3]) == 0 then
  redis.call("DEL", KEYS[4], KEYS[5])
end
local clock = tonumber(redis.call("GET", KEYS[4]) or "0")
local head = redis.call("ZRANGE", KEYS[1], 0, 0, "WITHSCORES")
if head[2] then
  local dispatched = math.floor(tonumber(head[2]) / 4294967296) - 1
  if dispatched > clock then
    clock = dispatched
    redis.call("SET", KEYS[4], clock)
  end
end
local starts = {}
for i = 2, #ARGV, 2 do
  local last = tonumber(redis.call("HGET", KEYS[5], ARGV[i]) or "0")
  local start = math.min(math.max(last + 1, clock + 1), limit)
  redis.call("HSET", KEYS[5], ARGV[i], math.min(start + tonumber(ARGV[i + 1]) - 1, limit))
  starts[#starts + 1] = start
end
return starts
`;

/** Owner a job without one is counted under; they share one turn. */
const UNKNOWN_OWNER = '-';

/**
 * Reserves priorities for jobs about to be added to one lane queue, one round trip for
 * all owners of a bulk add. Every key shares the lane queue's hash tag (one Cluster slot).
 */
export async function reserveOwnerPriorities(
  connection: RedisClient,
  queue: Queue,
  owners: ReadonlyArray<string | undefined>,
): Promise<number[]> {
  const counts = new Map<string, number>();
  for (const owner of owners) counts.set(owner ?? UNKNOWN_OWNER, (counts.get(owner ?? UNKNOWN_OWNER) ?? 0) + 1);
  if (counts.size === 0) return [];
  const keys = [queue.keys.prioritized, queue.keys.wait, queue.keys.paused, queue.toKey('fair:clock'), queue.toKey('fair:owners')].map((key) => key ?? '');
  const args = [String(MAX_LANE_PRIORITY), ...[...counts].flatMap(([owner, count]) => [owner, String(count)])];
  const starts = (await connection.eval(RESERVE_SCRIPT, keys.length, ...keys, ...args)) as number[];
  const next = new Map([...counts.keys()].map((owner, index) => [owner, Number(starts[index])]));
  return owners.map((owner) => {
    const key = owner ?? UNKNOWN_OWNER;
    const priority = next.get(key)!;
    next.set(key, Math.min(priority + 1, MAX_LANE_PRIORITY));
    return priority;
  });
}
