import type { Queue } from 'bullmq';
import type { JobCatalog, JobPayload, QueueStanding } from '@imageforge/jobs';
import { SLOT_STARTED_FIELD } from './job-slot-mark';
import { parseSampledPayload } from './sampled-payload';
import type { RedisClient } from './redis-connection';

/*
 * Jobs a worker has taken but holds until a slot frees (active, no slot mark) are next in
 * line, whichever of them it is. Behind them: BullMQ LPUSHes new jobs onto `wait` (or
 * `paused`) and workers RPOPLPUSH from the right, so the head is the right end
 * (LLEN - 1 - LPOS) and the jobs ahead sit at higher indexes; workers drain those lists
 * before `prioritized` (ZPOPMIN), so a prioritized job waits behind all of them. `active`
 * is bounded by the workers' slots, so reading it whole is cheap. Returns
 * {position, running: {data, startedOn, ...}, ahead: {data, ...}} or {-1}. One lane
 * queue's keys only: they share a hash tag, so it runs on Redis Cluster.
 */
const STANDING_SCRIPT = `
local jobId, prefix, slotField, sample = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local running, ahead, held, selfHeld = {}, {}, 0, false
local function take(id)
  if #ahead < sample then
    local data = redis.call("HGET", prefix .. id, "data")
    if data then ahead[#ahead + 1] = data end
  end
end
for _, id in ipairs(redis.call("LRANGE", KEYS[4], 0, -1)) do
  local started = redis.call("HMGET", prefix .. id, slotField, "data")
  if started[1] then
    if started[2] then
      running[#running + 1] = started[2]
      running[#running + 1] = started[1]
    end
  elseif id == jobId then
    selfHeld = true
  else
    held = held + 1
    take(id)
  end
end
if selfHeld then return {0, running, {}} end
for _, list in ipairs({KEYS[1], KEYS[2]}) do
  local index = redis.call("LPOS", list, jobId)
  if index then
    for _, id in ipairs(redis.call("LRANGE", list, index + 1, index + sample)) do take(id) end
    return {held + redis.call("LLEN", list) - 1 - index, running, ahead}
  end
end
local rank = redis.call("ZRANK", KEYS[3], jobId)
if rank then
  for _, list in ipairs({KEYS[1], KEYS[2]}) do
    for _, id in ipairs(redis.call("LRANGE", list, -sample, -1)) do take(id) end
  end
  if rank > 0 then
    for _, id in ipairs(redis.call("ZRANGE", KEYS[3], math.max(0, rank - sample), rank - 1)) do take(id) end
  end
  return {held + redis.call("LLEN", KEYS[1]) + redis.call("LLEN", KEYS[2]) + rank, running, ahead}
end
return {-1}
`;

const DEFAULT_SAMPLE = 50;

/**
 * The job's 0-based place in its lane queue's wait order with a sample of the payloads
 * ahead and the lane's running jobs, or null when it is not waiting there. Payloads are
 * not parsed again: readers take the fields they estimate from, defensively.
 */
export async function jobQueueStanding<C extends JobCatalog>(
  queue: Queue,
  connection: RedisClient,
  jobId: string,
  sample: number = DEFAULT_SAMPLE,
): Promise<QueueStanding<C> | null> {
  const keys = [queue.toKey('wait'), queue.toKey('paused'), queue.toKey('prioritized'), queue.toKey('active')];
  const reply = (await connection.eval(STANDING_SCRIPT, keys.length, ...keys, jobId, queue.toKey(''), SLOT_STARTED_FIELD, String(Math.max(0, Math.floor(sample))))) as [
    number,
    string[]?,
    string[]?,
  ];
  const position = Number(reply[0]);
  if (position < 0) return null;
  const running: QueueStanding<C>['running'] = [];
  const flat = reply[1] ?? [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const payload = parseSampledPayload<C>(flat[i]!);
    if (payload !== undefined) running.push({ payload, startedAt: Number(flat[i + 1]) });
  }
  const ahead = (reply[2] ?? []).map((data) => parseSampledPayload<C>(data)).filter((payload): payload is JobPayload<C> => payload !== undefined);
  return { position, ahead, running };
}
