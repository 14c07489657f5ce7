import type { JobCatalog, JobName, JobPayload, JobResult } from './job-catalog';
import type { JobStatus } from './job-status';
import { apiErrorOfReason } from './job-api-error';
import { isDeadlineExceededReason } from './job-deadline';

/**
 * A job as every layer sees it: the queue reads it, services answer from it, views
 * render it. One shape, so no layer copies it field by field into its own.
 */
export interface JobRecord<C extends JobCatalog, N extends JobName<C> = JobName<C>> {
  id: string;
  name: N;
  queue: string;
  status: JobStatus;
  /** 0-100; 100 once succeeded. */
  progress: number;
  /** Unix milliseconds. */
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  attemptsMade: number;
  payload: JobPayload<C, N>;
  /** Set once succeeded. */
  result?: JobResult<C, N>;
  /** Set once failed, cancelled or expired. */
  error?: { message: string };
}

/** A record of any job of the catalog, narrowed by `name`. */
export type AnyJobRecord<C extends JobCatalog> = { [N in JobName<C>]: JobRecord<C, N> }[JobName<C>];

/** How a job ended. Waiters resolve with it; a record yields it once final. */
export type JobOutcome<R = unknown> =
  | { status: 'succeeded'; result: R }
  | { status: 'failed'; reason: string }
  | { status: 'cancelled'; reason: string }
  | { status: 'expired'; reason: string };

/** The record's outcome, or null while it is queued or running. */
export function outcomeOf<C extends JobCatalog, N extends JobName<C>>(record: JobRecord<C, N>): JobOutcome<JobResult<C, N>> | null {
  switch (record.status) {
    case 'succeeded':
      // A worker stores a result before the job counts as completed; one without is broken, not pending.
      return record.result === undefined
        ? { status: 'failed', reason: 'the job finished without a result' }
        : { status: 'succeeded', result: record.result };
    case 'failed':
    case 'cancelled':
    case 'expired':
      return { status: record.status, reason: record.error?.message ?? record.status };
    default:
      return null;
  }
}

/** The `error.code` every view of a job that ended without a result shows (the job object, webhook events). */
export function endedJobErrorCode(outcome: Exclude<JobOutcome, { status: 'succeeded' }>): string {
  switch (outcome.status) {
    case 'cancelled':
      return 'job_cancelled';
    case 'expired':
      return 'job_expired';
    case 'failed':
      if (isDeadlineExceededReason(outcome.reason)) return 'deadline_exceeded';
      return apiErrorOfReason(outcome.reason)?.code ?? 'job_failed';
  }
}
