import { z } from 'zod';
import { JOB_LANES, JOB_STATUSES } from '@imageforge/jobs';
import type { JobFilter, JobQuery, QueueTarget } from '@imageforge/ops';

const name = z.string().trim().min(1).max(200).regex(/^[\w.:-]+$/, 'letters, digits, ".", ":", "_" or "-" only');
const jobId = z.string().trim().min(1).max(200);
const lane = z.enum(JOB_LANES);

export const jobQuerySchema = z.strictObject({
  text: z.string().trim().max(200).optional(),
  lane: lane.optional(),
  model: name.optional(),
  status: z.enum(JOB_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
}) satisfies z.ZodType<JobQuery>;

export const usageQuerySchema = z.strictObject({ resolution: z.enum(['hour', 'day']).default('hour') });

const queueTargetSchema = z.strictObject({ queue: name, lane: lane.optional() }) satisfies z.ZodType<QueueTarget>;
const jobFilterSchema = z.strictObject({ queue: name, lane: lane.optional(), model: name.optional() }) satisfies z.ZodType<JobFilter>;

export const queueActionSchema = queueTargetSchema;

/** Retry and cancel take one job id or a filter, never both: a typo in one must not widen the other. */
export const jobActionSchema = z.union([z.strictObject({ jobId }), z.strictObject({ filter: jobFilterSchema })], {
  error: 'give either "jobId" or "filter" ({ queue, lane?, model? })',
});

export const cleanActionSchema = z.strictObject({
  queue: name,
  lane: lane.optional(),
  state: z.enum(['completed', 'failed']),
  olderThanMs: z.number().int().min(0).max(365 * 24 * 3600 * 1000),
});

/** One line naming each problem, e.g. `queue: Required; olderThanMs: Too small`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message)).join('; ');
}
