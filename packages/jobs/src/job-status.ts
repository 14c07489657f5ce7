/**
 * Every job's lifecycle in the words the API uses, whatever the job kind.
 * BullMQ's own states (waiting, delayed, prioritized, active, …) map onto these in
 * the queue package; nothing else names a status.
 */
export const JOB_STATUSES = ['queued', 'in_progress', 'succeeded', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** Statuses a job never leaves. */
export type FinalJobStatus = Extract<JobStatus, 'succeeded' | 'failed' | 'cancelled'>;

const FINAL: ReadonlySet<JobStatus> = new Set<FinalJobStatus>(['succeeded', 'failed', 'cancelled']);

export function isFinalStatus(status: JobStatus): status is FinalJobStatus {
  return FINAL.has(status);
}
