/**
 * Every job's lifecycle in the words the API uses, whatever the job kind.
 * BullMQ's own states (waiting, delayed, prioritized, active, …) map onto these in
 * the queue package; nothing else names a status.
 */
export const JOB_STATUSES = ['queued', 'in_progress', 'succeeded', 'failed', 'cancelled', 'expired'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** Statuses a job never leaves. `expired`: it was not started within its queue-wait deadline, and never ran. */
export type FinalJobStatus = Extract<JobStatus, 'succeeded' | 'failed' | 'cancelled' | 'expired'>;

const FINAL: ReadonlySet<JobStatus> = new Set<FinalJobStatus>(['succeeded', 'failed', 'cancelled', 'expired']);

export function isFinalStatus(status: JobStatus): status is FinalJobStatus {
  return FINAL.has(status);
}
