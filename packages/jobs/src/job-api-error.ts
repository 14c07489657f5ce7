import type { ApiErrorBody } from '@imageforge/contracts';
import { PermanentJobError } from './job-handler';

/** failedReason prefix of a job that failed with an answer meant for its caller as it is (an upstream's 4xx). */
export const API_ERROR_REASON_PREFIX = 'api_error:';

/** OpenAI's error body with the HTTP status it came with. */
export type JobApiError = ApiErrorBody['error'] & { status: number };

/**
 * A permanent failure carrying the OpenAI-shaped error the caller gets: the sync answer,
 * the job object and a batch line's answer show its status, type, message, param and code
 * instead of a generic `job_failed`. The shape travels in the failure reason (the one
 * string BullMQ records), behind its marker.
 */
export class ApiErrorJobFailure extends PermanentJobError {
  constructor(readonly apiError: JobApiError) {
    super(`${API_ERROR_REASON_PREFIX}${JSON.stringify(apiError)}`);
  }
}

/** The error an ApiErrorJobFailure recorded, or undefined for any other reason. */
export function apiErrorOfReason(reason: string | null | undefined): JobApiError | undefined {
  if (typeof reason !== 'string' || !reason.startsWith(API_ERROR_REASON_PREFIX)) return undefined;
  try {
    const value = JSON.parse(reason.slice(API_ERROR_REASON_PREFIX.length)) as Partial<JobApiError>;
    if (typeof value.status !== 'number' || typeof value.message !== 'string' || typeof value.type !== 'string') return undefined;
    return {
      status: value.status,
      type: value.type,
      message: value.message,
      param: typeof value.param === 'string' ? value.param : null,
      code: typeof value.code === 'string' ? value.code : null,
    };
  } catch {
    return undefined;
  }
}
