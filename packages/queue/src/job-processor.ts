import { UnrecoverableError, WaitingError, type Job, type Processor } from 'bullmq';
import {
  deadlineExceededReason,
  expiredReason,
  isJobName,
  jobDeadlineOf,
  parseJobPayload,
  PermanentJobError,
  type JobCatalog,
  type JobContext,
  type JobHandler,
  type JobHandlers,
  type JobName,
  type JobOutcome,
  type JobSettledHook,
  type PartialImage,
  type SettledJob,
} from '@imageforge/jobs';
import { cancelledReason, cancelRequestKey } from './job-cancellation';
import { hasStarted, markSlotStarted } from './job-slot-mark';
import type { RedisClient } from './redis-connection';

/** A job's transitions inside one worker process, for its logs and metrics. */
export type WorkerJobEvent =
  | { type: 'started'; jobId: string; name: string; attempt: number }
  | { type: 'completed'; jobId: string; name: string; attempt: number; durationMs: number }
  | { type: 'failed'; jobId: string; name: string; attempt: number; durationMs: number; error: Error; willRetry: boolean }
  | { type: 'cancelled' | 'handed_back' | 'expired'; jobId: string; name: string; attempt: number; durationMs: number };

/** Abort reasons the worker gives BullMQ's per-job AbortController. */
export const ABORT_REASON_CANCEL = 'imageforge:cancel';
export const ABORT_REASON_SHUTDOWN = 'imageforge:shutdown';
/** Abort reason of a run that passed its run deadline (the payload's `deadline.runMs`). */
export const ABORT_REASON_DEADLINE = 'imageforge:deadline';

/** Thrown once an expired job has been settled, so the failure path records nothing more. */
class JobExpiredError extends UnrecoverableError {}

export interface ProcessorDeps<C extends JobCatalog> {
  catalog: C;
  handlers: JobHandlers<C>;
  /** Reads cancel requests; the worker's own connection. */
  connection: RedisClient;
  queue: { toKey(type: string): string };
  queueName: string;
  /** Appends a custom event to the queue's event stream. */
  publishPartialImage(jobId: string, partial: PartialImage): Promise<void>;
  onJobEvent(event: WorkerJobEvent): void;
  /** Awaited before an outcome is handed to BullMQ; see JobSettledHook. */
  onSettled?: JobSettledHook<C>;
  /** Told of each job whose final outcome passed onSettled, before BullMQ records it (see JobWorkerOptions.onRecorded). */
  settledBeforeRecord?: (job: Job, settled: SettledJob<C>) => void;
  /**
   * Waits for a slot of the process's capacity gate before the handler runs; the returned
   * function frees it. An abort while waiting (cancel, shutdown) rejects with its reason.
   */
  acquireSlot?: (jobId: string, signal: AbortSignal) => Promise<() => void>;
}

/**
 * Wraps the handlers in what every job needs: parse the payload again (it may
 * predate this deploy), honour a recorded cancel request and the payload's deadlines,
 * parse the result, and turn failures into BullMQ's terms (permanent: unrecoverable;
 * cancelled or expired: unrecoverable with its marker; past the run deadline:
 * unrecoverable; shutdown: handed back to the wait list without spending an attempt).
 */
export function createJobProcessor<C extends JobCatalog>(deps: ProcessorDeps<C>): Processor {
  // Three declared parameters: BullMQ only creates the per-job AbortController for such processors.
  return async (job: Job, token?: string, signal?: AbortSignal): Promise<unknown> => {
    const jobId = job.id ?? '';
    const attempt = job.attemptsMade + 1;
    let startedAt = Date.now();
    const base = { jobId, name: job.name, attempt };
    if (!isJobName(deps.catalog, job.name)) throw new UnrecoverableError(`unknown job name ${job.name}`);
    const name: JobName<C> = job.name;
    const payload = parseJobPayload(deps.catalog, name, job.data);
    if (!payload.success) throw new UnrecoverableError(payload.message);
    let ranAt: number | undefined;
    const settle = async (outcome: JobOutcome<unknown>) => {
      const timing = { queuedAt: job.timestamp, ...(job.processedOn ? { takenAt: job.processedOn } : {}), ...(ranAt !== undefined ? { startedAt: ranAt } : {}), settledAt: Date.now() };
      const settled = { jobId, name, queue: deps.queueName, payload: payload.data, outcome, timing } as SettledJob<C>;
      await deps.onSettled?.(settled);
      deps.settledBeforeRecord?.(job, settled);
    };
    const cancelRequested = async () => (await deps.connection.exists(cancelRequestKey(deps.queue, jobId))) === 1;
    if (await cancelRequested()) {
      deps.onJobEvent({ type: 'cancelled', ...base, durationMs: 0 });
      await settle({ status: 'cancelled', reason: cancelledReason() });
      throw new UnrecoverableError(cancelledReason());
    }
    // Checked when the job is taken and again once it has a slot; a job that ever started is past its queue wait.
    const deadline = jobDeadlineOf(payload.data);
    const jobKey = deps.queue.toKey(jobId);
    const expired = async () =>
      deadline?.startBy !== undefined && Date.now() > deadline.startBy && attempt === 1 && !(await hasStarted(deps.connection, jobKey));
    const expire = async (): Promise<never> => {
      const reason = expiredReason(deadline ?? {});
      deps.onJobEvent({ type: 'expired', ...base, durationMs: 0 });
      await settle({ status: 'expired', reason });
      throw new JobExpiredError(reason);
    };
    if (await expired()) await expire();

    const jobSignal = signal ?? new AbortController().signal;
    const overrun = new AbortController();
    const handler = deps.handlers[name] as JobHandler<C, JobName<C>>;
    const context: JobContext = {
      jobId,
      attempt,
      signal: deadline?.runMs !== undefined ? AbortSignal.any([jobSignal, overrun.signal]) : jobSignal,
      reportProgress: (percent) => job.updateProgress(Math.min(100, Math.max(0, Math.round(percent)))),
      announcePartialImage: (partial) => deps.publishPartialImage(jobId, partial),
    };
    try {
      let release: () => void = () => undefined;
      if (deps.acquireSlot) {
        release = await deps.acquireSlot(jobId, jobSignal);
        startedAt = Date.now();
        if (await expired().catch(() => false)) {
          release();
          await expire();
        }
      }
      // A job holding a slot is running; one still waiting at the gate is `active` to BullMQ but queued to its callers.
      // A cancel recorded first (during a long wait, while pub/sub was down) stops it here; the catch below
      // finds the recorded request and ends the job cancelled.
      if (!(await markSlotStarted(deps.connection, { job: jobKey, cancelRequest: cancelRequestKey(deps.queue, jobId) }, startedAt))) {
        release();
        throw new Error('cancelled before it started');
      }
      let raw: unknown;
      const timer = deadline?.runMs !== undefined ? setTimeout(() => overrun.abort(ABORT_REASON_DEADLINE), deadline.runMs) : undefined;
      try {
        ranAt = startedAt;
        deps.onJobEvent({ type: 'started', ...base });
        raw = await handler(payload.data, context);
      } finally {
        clearTimeout(timer);
        // Capacity is the handler's; settling (hooks, result storage) need not hold a slot.
        release();
      }
      const result = deps.catalog[name]!.result.safeParse(raw);
      if (!result.success) throw new UnrecoverableError(`the ${name} handler returned an invalid result: ${result.error.message}`);
      await settle({ status: 'succeeded', result: result.data });
      deps.onJobEvent({ type: 'completed', ...base, durationMs: Date.now() - startedAt });
      return result.data;
    } catch (error) {
      if (error instanceof JobExpiredError) throw error;
      const durationMs = Date.now() - startedAt;
      if (jobSignal.aborted && jobSignal.reason === ABORT_REASON_SHUTDOWN && token) {
        // If Redis refuses the move, the job stays active until its lock expires
        // and stalled detection returns it: handed back either way.
        await job.moveToWait(token).catch(() => undefined);
        deps.onJobEvent({ type: 'handed_back', ...base, durationMs });
        // Tells BullMQ the job already left `active`, so it records no failure.
        throw new WaitingError();
      }
      const permanent = error instanceof UnrecoverableError || error instanceof PermanentJobError;
      const cancelled = !permanent && ((jobSignal.aborted && jobSignal.reason === ABORT_REASON_CANCEL) || (await cancelRequested()));
      if (cancelled) {
        deps.onJobEvent({ type: 'cancelled', ...base, durationMs });
        await settle({ status: 'cancelled', reason: cancelledReason() });
        throw new UnrecoverableError(cancelledReason());
      }
      if (overrun.signal.aborted && deadline?.runMs !== undefined) {
        // Past its run deadline the caller no longer wants it: no retry.
        const failure = new UnrecoverableError(deadlineExceededReason(deadline.runMs));
        deps.onJobEvent({ type: 'failed', ...base, durationMs, error: failure, willRetry: false });
        await settle({ status: 'failed', reason: failure.message });
        throw failure;
      }
      const failure = error instanceof PermanentJobError ? new UnrecoverableError(error.message) : error instanceof Error ? error : new Error(String(error));
      const willRetry = !(failure instanceof UnrecoverableError) && attempt < (job.opts.attempts ?? 1);
      deps.onJobEvent({ type: 'failed', ...base, durationMs, error: failure, willRetry });
      if (!willRetry) await settle({ status: 'failed', reason: failure.message });
      throw failure;
    }
  };
}
