import type { PartialImage } from './job-events';
import type { JobCatalog, JobName, JobPayload, JobResult } from './job-catalog';

/** What the queue hands a handler besides the parsed payload. */
export interface JobContext {
  jobId: string;
  /** 1 on the first run, 2 on the first retry, … */
  attempt: number;
  /** Aborted when the job is cancelled, or when the worker shuts down past its deadline (the job is then handed back). */
  signal: AbortSignal;
  /** Records progress (clamped to 0-100) for polls and the event stream. */
  reportProgress(percent: number): Promise<void>;
  /** Announces a preview already in storage on the job event stream (the key travels, never the bytes). */
  announcePartialImage(partial: PartialImage): Promise<void>;
}

export type JobHandler<C extends JobCatalog, N extends JobName<C>> = (payload: JobPayload<C, N>, context: JobContext) => Promise<JobResult<C, N>>;

/** One handler per catalog job: a job added to a catalog without its handler fails the build. */
export type JobHandlers<C extends JobCatalog> = { [N in JobName<C>]: JobHandler<C, N> };

/**
 * Thrown by a handler for a failure no retry can fix (a corrupt input, a missing
 * object): the job fails at once instead of spending its attempts.
 */
export class PermanentJobError extends Error {
  override readonly name = 'PermanentJobError';
}
