import type { PartialImage } from './job-events';
import type { JobCatalog, JobName, JobPayload, JobResult } from './job-catalog';
import type { JobOutcome } from './job-record';

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

/** A job that reached its outcome in this worker: succeeded, failed for the last time, or cancelled. */
export type SettledJob<C extends JobCatalog> = {
  [N in JobName<C>]: { jobId: string; name: N; queue: string; payload: JobPayload<C, N>; outcome: JobOutcome<JobResult<C, N>>; timing?: SettledJobTiming };
}[JobName<C>];

/** When a settled job moved, in unix milliseconds, for metrics (queue wait, run time). */
export interface SettledJobTiming {
  /** BullMQ's job timestamp: when it was queued (or its delay began). */
  queuedAt: number;
  /** When a worker took it off its lane (BullMQ's processedOn). */
  takenAt?: number;
  /** When it got its slot and the handler began; absent for a job that never ran (cancelled or expired first). */
  startedAt?: number;
  settledAt: number;
}

/**
 * Runs before the worker lets BullMQ record the outcome, so what it writes (a batch's
 * tally, a webhook delivery) cannot be lost to a crash: a worker that dies first leaves
 * the job to run again and the hook to run again. It must therefore be idempotent, and
 * a throw turns the outcome into a retry.
 */
export type JobSettledHook<C extends JobCatalog> = (settled: SettledJob<C>) => Promise<void>;

/**
 * One hook running several in order (the webhook outbox, a batch's tally), so each
 * concern adds its own; a throw stops the rest, and the re-run repeats them all.
 */
export function composeSettledHooks<C extends JobCatalog>(...hooks: ReadonlyArray<JobSettledHook<C> | undefined>): JobSettledHook<C> {
  const present = hooks.filter((hook): hook is JobSettledHook<C> => hook !== undefined);
  return async (settled) => {
    for (const hook of present) await hook(settled);
  };
}
