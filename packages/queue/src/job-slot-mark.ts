import type { RedisClient } from './redis-connection';

/** Field of BullMQ's job hash where the worker notes when the job got its slot and started. */
export const SLOT_STARTED_FIELD = 'slotStartedOn';

/*
 * Marks the job started unless a cancel is recorded for it, in one step. A cancel that spares
 * started jobs (`ifNotStarted`, for callers that went away) checks the mark in its own script,
 * so it either lands before the mark, and the job never runs, or finds it and leaves the job
 * alone; never in between. Both keys carry the job's queue hash tag: one Cluster slot.
 */
const MARK_STARTED_SCRIPT = `
if redis.call("EXISTS", KEYS[2]) == 1 then return 0 end
redis.call("HSET", KEYS[1], ARGV[1], ARGV[2])
return 1
`;

/** True once marked; false when a cancel was recorded first, and the job must not start. */
export async function markSlotStarted(connection: RedisClient, keys: { job: string; cancelRequest: string }, startedAt: number): Promise<boolean> {
  return (await connection.eval(MARK_STARTED_SCRIPT, 2, keys.job, keys.cancelRequest, SLOT_STARTED_FIELD, String(startedAt))) === 1;
}

/** Whether the job ever got a slot: a job handed back or stalled after starting keeps its mark. */
export async function hasStarted(connection: RedisClient, jobKey: string): Promise<boolean> {
  return (await connection.hexists(jobKey, SLOT_STARTED_FIELD)) === 1;
}
