import { NotFoundError } from '@imageforge/contracts';
import type { AnyImageJobRecord } from '@imageforge/jobs';

/** `error.code` of a succeeded job whose images retention deleted. */
export const RESULT_EXPIRED_CODE = 'result_expired';

/**
 * A job's images are no longer in storage (retention deleted them): what a read that needed their
 * bytes meets. A 404 with its own code, so a caller can tell it from a job that never existed.
 */
export class ImagesExpiredError extends NotFoundError {
  constructor(message = 'The images of this job are no longer stored.') {
    super(message, { code: RESULT_EXPIRED_CODE });
  }
}

/** Whether a job's images are still kept, as a read shows it. */
export interface ResultRetention {
  /** Unix milliseconds from which its images count as deleted; null when it has none or nothing deletes them. */
  expiresAt: number | null;
  expired: boolean;
  /** RETENTION_OUTPUT_HOURS, for the message; absent when storage alone said the images were gone. */
  outputHours?: number;
}

/**
 * When a succeeded job's images count as deleted: `outputHours` after the job started. The sweep counts
 * from each image's write, which comes later, so a read never links to an image the sweep already took.
 */
export function resultRetention(record: AnyImageJobRecord, outputHours: number | undefined, now: number): ResultRetention {
  if (record.status !== 'succeeded' || !record.result || outputHours === undefined) return { expiresAt: null, expired: false };
  const expiresAt = (record.startedAt ?? record.result.finishedAt) + Math.ceil(outputHours * 3600) * 1000;
  return { expiresAt, expired: now >= expiresAt, outputHours };
}

/** The job object's `error` once its images are gone. */
export function resultExpiredError(retention: ResultRetention): { message: string; code: string } {
  const hours = retention.outputHours;
  const message = hours === undefined ? 'The images of this job were deleted.' : `The images of this job were deleted after ${hours} ${hours === 1 ? 'hour' : 'hours'}.`;
  return { message, code: RESULT_EXPIRED_CODE };
}
