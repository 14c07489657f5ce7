import { randomUUID } from 'node:crypto';

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
