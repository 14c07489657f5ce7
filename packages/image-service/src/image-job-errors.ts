import { ConflictError, InternalError, ServiceUnavailableError, TimeoutError } from '@imageforge/contracts';

/**
 * Answers for a sync caller whose job did not end in images. Each names the job and
 * says `x-should-retry: false`: the job exists and can be polled, so the SDK must not
 * submit it again.
 */
const jobHeaders = (jobId: string) => ({ 'x-job-id': jobId, 'x-should-retry': 'false' });

export function jobFailed(jobId: string, reason: string): InternalError {
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
