import { isExpiredReason, type JobStatus } from '@imageforge/jobs';
import { isCancelledReason } from './job-cancellation';

const STATE_TO_STATUS: Readonly<Record<string, JobStatus>> = {
  waiting: 'queued',
  delayed: 'queued',
  prioritized: 'queued',
  'waiting-children': 'queued',
  active: 'in_progress',
  completed: 'succeeded',
  failed: 'failed',
};

/**
 * The one translation from BullMQ's states to job statuses. A cancelled job is a
 * failed one whose reason carries the cancel marker, an expired one a failed one with
 * the expiry marker: BullMQ has neither state, and keeping the job (rather than
 * removing it) is what lets polls report it.
 */
export function statusOf(state: string, failedReason: string | null | undefined): JobStatus {
  const status = STATE_TO_STATUS[state] ?? 'queued';
  return status === 'failed' ? failureStatus(failedReason) : status;
}

/** How a job that BullMQ failed ended: cancelled or expired when its reason carries that marker. */
export function failureStatus(failedReason: string | null | undefined): 'failed' | 'cancelled' | 'expired' {
  if (isCancelledReason(failedReason)) return 'cancelled';
  return isExpiredReason(failedReason) ? 'expired' : 'failed';
}

/** Progress as stored by `updateProgress`: a number, or an object with `percent`. */
export function progressPercent(progress: unknown): number {
  const value = typeof progress === 'object' && progress !== null ? (progress as { percent?: unknown }).percent : progress;
  if (typeof value !== 'number' || !Number.isFinite(value)) return 0;
  return Math.min(100, Math.max(0, Math.round(value)));
}
