import { randomUUID } from 'node:crypto';
import { Job, UnrecoverableError, type Queue } from 'bullmq';
import type { CancelOutcome } from '@imageforge/jobs';
import { SLOT_STARTED_FIELD } from './job-slot-mark';
import type { RedisClient } from './redis-connection';

/** failedReason prefix that marks a failed job as cancelled rather than failed. */
export const CANCELLED_REASON_PREFIX = 'cancelled:';

export function cancelledReason(detail = 'cancelled by request'): string {
  return `${CANCELLED_REASON_PREFIX} ${detail}`;
}

export function isCancelledReason(failedReason: string | null | undefined): boolean {
  return typeof failedReason === 'string' && failedReason.startsWith(CANCELLED_REASON_PREFIX);
}

/** Pub/sub channel a queue's workers listen on; each message is a job id. */
export function cancelChannel(queue: Pick<Queue, 'toKey'>): string {
  return queue.toKey('cancel');
}

/** Key that outlives the pub/sub message, checked by workers before each attempt. */
export function cancelRequestKey(queue: Pick<Queue, 'toKey'>, jobId: string): string {
  return `${queue.toKey(jobId)}:cancel-requested`;
}

export interface CancelJobOptions {
  /** Words after the cancel marker in failedReason. */
  reason?: string;
  /** How long the cancel request outlives the call, covering retries. Default 1 day. */
  requestTtlSeconds?: number;
  /** Leave a job a worker has started (it holds a slot) alone: `started`. */
  ifNotStarted?: boolean;
}

/*
 * One atomic step decides between "take it" and "signal it", so a worker can
 * never start the job between the check and the action:
 * - not started: pull it from wait/paused/delayed/prioritized into `active` under
 *   a lock we own; BullMQ's own moveToFailed then finishes it (failed set, events
 *   for waiters, retention), so status, waiters and bull-board all see it.
 *   Removing the job instead would leave nothing to report `cancelled` from.
 * - active (or anything else unfinished): record the request and publish it; the
 *   worker holding the job aborts its signal. The recorded key catches the cases
 *   pub/sub cannot: a worker whose subscriber was reconnecting, or an attempt that
 *   failed just before the message and is about to be retried.
 * - `ifNotStarted` and active with the slot mark: left alone. Active without it (a worker holds
 *   it until a slot frees) is cancelled as above; the worker sets the mark in a script that
 *   first checks for the recorded request (markSlotStarted), so the two cannot interleave.
 */
const CANCEL_SCRIPT = `
if redis.call("EXISTS", KEYS[8]) == 0 then return "not_found" end
if redis.call("ZSCORE", KEYS[6], ARGV[1]) or redis.call("ZSCORE", KEYS[7], ARGV[1]) then
  return "already_finished"
end
local taken = redis.call("LREM", KEYS[1], 0, ARGV[1]) + redis.call("LREM", KEYS[2], 0, ARGV[1])
  + redis.call("ZREM", KEYS[3], ARGV[1]) + redis.call("ZREM", KEYS[4], ARGV[1])
if taken == 0 and ARGV[6] == "1" and redis.call("HEXISTS", KEYS[8], ARGV[7]) == 1 then return "started" end
redis.call("SET", KEYS[10], "1", "EX", ARGV[5])
if taken > 0 then
  redis.call("LPUSH", KEYS[5], ARGV[1])
  redis.call("SET", KEYS[9], ARGV[2], "PX", ARGV[3])
  return "taken"
end
redis.call("PUBLISH", ARGV[4], ARGV[1])
return "cancelling"
`;

/**
 * Cancels a job from any process (open-source BullMQ can only cancel inside the
 * process running it). A job that has not started ends `failed` with the cancel
 * marker; an active one is aborted by its worker, which fails it unrecoverably.
 */
export async function cancelJob(
  queue: Queue,
  connection: RedisClient,
  jobId: string,
  options: CancelJobOptions = {},
): Promise<CancelOutcome> {
  const token = `cancel-${randomUUID()}`;
  const jobKey = queue.toKey(jobId);
  const keys = [
    queue.keys.wait,
    queue.keys.paused,
    queue.keys.delayed,
    queue.keys.prioritized,
    queue.keys.active,
    queue.keys.completed,
    queue.keys.failed,
    jobKey,
    `${jobKey}:lock`,
    cancelRequestKey(queue, jobId),
  ].map((key) => key ?? '');
  const args = [jobId, token, '30000', cancelChannel(queue), String(options.requestTtlSeconds ?? 24 * 3600), options.ifNotStarted ? '1' : '0', SLOT_STARTED_FIELD];
  const step = (await connection.eval(CANCEL_SCRIPT, keys.length, ...keys, ...args)) as string;
  if (step !== 'taken') return step as CancelOutcome;
  const job = await Job.fromId(queue, jobId);
  if (!job) return 'not_found';
  await job.moveToFailed(new UnrecoverableError(cancelledReason(options.reason)), token, false);
  return 'cancelled';
}
