import type { JobCatalog, JobPayload } from '@imageforge/jobs';

/**
 * A job payload read raw by a sampling script, not parsed again: estimates take the fields they
 * need from it defensively. A hash written by something other than BullMQ gives undefined.
 */
export function parseSampledPayload<C extends JobCatalog>(data: string): JobPayload<C> | undefined {
  try {
    return JSON.parse(data) as JobPayload<C>;
  } catch {
    return undefined;
  }
}
