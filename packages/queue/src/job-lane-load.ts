import type { Queue } from 'bullmq';
import type { JobCatalog, JobPayload, LaneLoad } from '@imageforge/jobs';
import { SLOT_STARTED_FIELD } from './job-slot-mark';
import { parseSampledPayload } from './sampled-payload';
import type { RedisClient } from './redis-connection';

/*
 * One lane queue's backlog in one step: `active` jobs with the slot mark are running, those
 * without wait at a worker's gate and count as waiting (they start first), then `wait`,
 * `paused` and `prioritized`. The sample is taken nearest the head: what runs next says most
 * about the work ahead. `active` is bounded by the workers' slots, so reading it whole is cheap.
 * Returns {waiting, running, {data, ...}}. One lane queue's keys: one Cluster slot.
 */
const LANE_LOAD_SCRIPT = `
local prefix, slotField, sample = ARGV[1], ARGV[2], tonumber(ARGV[3])
local running, held, picked = 0, 0, {}
local function take(id)
  if #picked < sample then
    local data = redis.call("HGET", prefix .. id, "data")
    if data then picked[#picked + 1] = data end
  end
end
for _, id in ipairs(redis.call("LRANGE", KEYS[4], 0, -1)) do
  if redis.call("HEXISTS", prefix .. id, slotField) == 1 then
    running = running + 1
  else
    held = held + 1
    take(id)
  end
end
for _, list in ipairs({KEYS[1], KEYS[2]}) do
  if #picked < sample then
    local ids = redis.call("LRANGE", list, -(sample - #picked), -1)
    for i = #ids, 1, -1 do take(ids[i]) end
  end
end
if #picked < sample then
  for _, id in ipairs(redis.call("ZRANGE", KEYS[3], 0, sample - #picked - 1)) do take(id) end
end
local waiting = held + redis.call("LLEN", KEYS[1]) + redis.call("LLEN", KEYS[2]) + redis.call("ZCARD", KEYS[3])
return {waiting, running, picked}
`;

const DEFAULT_SAMPLE = 20;

/** A lane queue's waiting and running counts with a sample of the waiting payloads (not parsed again). */
export async function jobLaneLoad<C extends JobCatalog>(queue: Queue, connection: RedisClient, sample: number = DEFAULT_SAMPLE): Promise<LaneLoad<C>> {
  const keys = [queue.toKey('wait'), queue.toKey('paused'), queue.toKey('prioritized'), queue.toKey('active')];
  const size = String(Math.max(0, Math.floor(sample)));
  const [waiting, running, picked] = (await connection.eval(LANE_LOAD_SCRIPT, keys.length, ...keys, queue.toKey(''), SLOT_STARTED_FIELD, size)) as [number, number, string[]?];
  const payloads = (picked ?? []).map((data) => parseSampledPayload<C>(data)).filter((payload): payload is JobPayload<C> => payload !== undefined);
  return { waiting: Number(waiting), running: Number(running), sample: payloads };
}
