import type { Queue } from 'bullmq';
import { isJobName, type AnyJobRecord, type JobCatalog } from '@imageforge/jobs';
import { SLOT_STARTED_FIELD } from './job-slot-mark';
import { progressPercent, statusOf } from './job-state';
import type { RedisClient } from './redis-connection';

/**
 * The job as services report it, or null when there is no such job (or it is not a
 * job of this catalog). The payload is not parsed again: it was parsed when queued,
 * and catalogs only ever add optional fields, so an older payload still has every
 * field a reader relies on.
 */
export async function readJobRecord<C extends JobCatalog>(
  catalog: C,
  queue: Queue,
  jobId: string,
  /** A connection to the queue's Redis, for the slot mark BullMQ's Job does not read. */
  connection: RedisClient,
  /** The model queue the record names, when `queue` holds one of its lanes. Default: `queue`'s own name. */
  queueName: string = queue.name,
): Promise<AnyJobRecord<C> | null> {
  // State first: a job read after `completed` always carries its return value,
  // while the other order can pair `completed` with a hash read before it finished.
  const state = await queue.getJobState(jobId);
  const job = await queue.getJob(jobId);
  if (!job || !job.id || !isJobName(catalog, job.name)) return null;
  // BullMQ moves a job to active when a worker takes it, which may be before it has a slot.
  const slotStartedOn = state === 'active' ? Number((await connection.hget(queue.toKey(jobId), SLOT_STARTED_FIELD)) ?? 0) : 0;
  const waitingForSlot = state === 'active' && slotStartedOn === 0;
  const status = waitingForSlot ? 'queued' : statusOf(state, job.failedReason);
  const record = {
    id: job.id,
    name: job.name,
    queue: queueName,
    status,
    progress: status === 'succeeded' ? 100 : progressPercent(job.progress),
    createdAt: job.timestamp,
    attemptsMade: job.attemptsMade,
    payload: job.data,
    // An expired job was only ever taken, never started: BullMQ's processedOn is when it was taken.
    ...(!waitingForSlot && status !== 'expired' && (slotStartedOn || job.processedOn) ? { startedAt: slotStartedOn || job.processedOn } : {}),
    ...(job.finishedOn && status !== 'in_progress' && status !== 'queued' ? { finishedAt: job.finishedOn } : {}),
    ...(status === 'succeeded' && job.returnvalue !== null && job.returnvalue !== undefined ? { result: job.returnvalue } : {}),
    ...(status === 'failed' || status === 'cancelled' || status === 'expired' ? { error: { message: job.failedReason || 'unknown failure' } } : {}),
  };
  return record as AnyJobRecord<C>;
}
