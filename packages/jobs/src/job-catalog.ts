import type { z } from 'zod';

/**
 * A catalog maps job names (`noun.verb`) to what producer and consumer agree on.
 * Each job family declares one; the queue package runs any of them, so a new kind
 * of job is a catalog entry and its handler, nothing in between.
 */

/** Where a job waits relative to others on its queue; see the queue package's lane policy. */
export const JOB_LANES = ['interactive', 'async', 'batch'] as const;
export type JobLane = (typeof JOB_LANES)[number];

/** BullMQ options a job gets unless its producer overrides them. */
export interface JobOptions {
  attempts: number;
  /** `custom`: the worker's `backoffStrategy` decides each delay (webhook deliveries). */
  backoff: { type: 'exponential' | 'fixed' | 'custom'; delay: number };
  /**
   * Finished jobs stay readable for polling and late waiters; `true` would delete
   * them before a waiter can read the result ("Missing key for job").
   */
  removeOnComplete: { age: number; count: number };
  removeOnFail: { age: number; count: number };
}

export interface JobDefinition<P extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType, O extends string = string> {
  /** What the job does in its family's own vocabulary (for image jobs, OpenAI's operation name). */
  operation: O;
  /** Parsed when queued and again when a worker takes it: payloads outlive deploys, so only add optional fields. */
  payload: P;
  /** Parsed when the handler returns, before it is stored. */
  result: R;
  options: JobOptions;
}

export type JobCatalog = Readonly<Record<string, JobDefinition>>;

export type JobName<C extends JobCatalog> = Extract<keyof C, string>;
export type JobPayload<C extends JobCatalog, N extends JobName<C> = JobName<C>> = z.infer<C[N]['payload']>;
export type JobResult<C extends JobCatalog, N extends JobName<C> = JobName<C>> = z.infer<C[N]['result']>;

/** Keeps the literal names and operations of a catalog while checking its shape. */
export function defineJobCatalog<const C extends JobCatalog>(catalog: C): C {
  return catalog;
}

export function isJobName<C extends JobCatalog>(catalog: C, name: string): name is JobName<C> {
  return Object.prototype.hasOwnProperty.call(catalog, name);
}

export function jobNames<C extends JobCatalog>(catalog: C): JobName<C>[] {
  return Object.keys(catalog) as JobName<C>[];
}

export type ParsedPayload<T> = { success: true; data: T } | { success: false; message: string };

/** Parses a payload against its catalog entry, with every issue named in one message. */
export function parseJobPayload<C extends JobCatalog, N extends JobName<C>>(catalog: C, name: N, data: unknown): ParsedPayload<JobPayload<C, N>> {
  const parsed = catalog[name]!.payload.safeParse(data);
  if (parsed.success) return { success: true, data: parsed.data as JobPayload<C, N> };
  const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  return { success: false, message: `invalid ${name} payload: ${issues.join('; ')}` };
}
