import { createHash, randomUUID } from 'node:crypto';

/**
 * Public job ids double as BullMQ job ids: BullMQ rejects ids that are all digits
 * or contain ':', so they carry a prefix and plain hex.
 */
const JOB_ID_PATTERN = /^imgjob_[0-9a-f]{32}$/;

export function newImageJobId(): string {
  return `imgjob_${randomUUID().replaceAll('-', '')}`;
}

export function isImageJobId(value: string): boolean {
  return JOB_ID_PATTERN.test(value);
}

/**
 * With an `Idempotency-Key`, the same caller and key always name the same job, so a
 * retried POST finds the job the first attempt queued instead of queuing another.
 */
export function idempotentImageJobId(owner: string, key: string): string {
  return `imgjob_${createHash('sha256').update(owner).update('\n').update(key).digest('hex').slice(0, 32)}`;
}
