import { ConflictError, ForwardedApiError, InternalError, ServiceUnavailableError, TimeoutError, type ApiError } from '@imageforge/contracts';
import { apiErrorOfReason, isDeadlineExceededReason, type JobOutcome } from '@imageforge/jobs';

/**
 * Answers for a sync caller whose job did not end in images. Each names the job and
 * says `x-should-retry: false`: the job exists and can be polled, so the SDK must not
 * submit it again.
 */
const jobHeaders = (jobId: string) => ({ 'x-job-id': jobId, 'x-should-retry': 'false' });

export function jobFailed(jobId: string, reason: string): ApiError {
  if (isDeadlineExceededReason(reason)) return jobDeadlineExceeded(jobId, reason);
  // An answer meant for the caller as it is (an upstream's 4xx): its own status, type, param and code.
  const forwarded = apiErrorOfReason(reason);
  if (forwarded) {
    const { status, type, message, param, code } = forwarded;
    return new ForwardedApiError(status, type, message, { param, code, headers: jobHeaders(jobId) });
  }
  return new InternalError(`The image job ${jobId} failed: ${reason}`, { code: 'job_failed', headers: jobHeaders(jobId) });
}

export function jobCancelled(jobId: string): ConflictError {
  return new ConflictError(`The image job ${jobId} was cancelled before it finished.`, { code: 'job_cancelled', headers: jobHeaders(jobId) });
}

export function jobTimedOut(jobId: string, timeoutMs: number): TimeoutError {
  return new TimeoutError(
    `The image job ${jobId} did not finish within ${Math.round(timeoutMs / 1000)} s. It is still running: poll GET /v1/images/jobs/${jobId} for the result.`,
    { code: 'job_timeout', headers: jobHeaders(jobId) },
  );
}

export function serverRestarting(jobId: string): ServiceUnavailableError {
  return new ServiceUnavailableError(
    `The server is restarting and stopped waiting for image job ${jobId}. The job goes on: poll GET /v1/images/jobs/${jobId} for the result.`,
    { code: 'server_shutting_down', headers: jobHeaders(jobId) },
  );
}

/** Not started within its queue-wait deadline: it never ran and never will. A 504, as a wait that ran out is. */
export function jobExpired(jobId: string, reason: string): TimeoutError {
  return new TimeoutError(`The image job ${jobId} was ${stripMarker(reason)}.`, { code: 'job_expired', headers: jobHeaders(jobId) });
}

/** Aborted past its run deadline: the job failed for good. */
export function jobDeadlineExceeded(jobId: string, reason: string): TimeoutError {
  return new TimeoutError(`The image job ${jobId} failed: ${stripMarker(reason)}.`, { code: 'deadline_exceeded', headers: jobHeaders(jobId) });
}

/** The answer for a job that ended without images (a sync caller, a batch line). */
export function jobEndedError(jobId: string, outcome: Exclude<JobOutcome, { status: 'succeeded' }>): ApiError {
  switch (outcome.status) {
    case 'cancelled':
      return jobCancelled(jobId);
    case 'expired':
      return jobExpired(jobId, outcome.reason);
    case 'failed':
      return jobFailed(jobId, outcome.reason);
  }
}

/**
 * A sync call refused before anything was queued: its lane's backlog would not start it within
 * the sync limit. OpenAI's own answer when it is overloaded; the SDK retries it after `retry-after`.
 */
export function serverOverloaded(retryAfterSeconds: number): ServiceUnavailableError {
  return new ServiceUnavailableError('The server is overloaded or not ready yet.', {
    code: 'server_is_overloaded',
    headers: { 'retry-after': String(retryAfterSeconds) },
  });
}

/** `expired: not started …` reads as `not started …` in a sentence. */
function stripMarker(reason: string): string {
  return reason.replace(/^[a-z_]+:\s*/, '');
}
