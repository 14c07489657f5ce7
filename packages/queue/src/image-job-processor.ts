import { UnrecoverableError, WaitingError, type Job, type Processor } from 'bullmq';
import type { Redis } from 'ioredis';
import { imageJobCatalog, isImageJobName, type ImageJobName, type ImageJobPayload, type ImageJobResult } from '@imageforge/jobs';
import { cancelledReason, cancelRequestKey } from './job-cancellation';

export interface ImageJobContext {
  jobId: string;
  /** 1 on the first run, 2 on the first retry, ... */
  attempt: number;
  /** Aborted when the job is cancelled or the worker shuts down past its deadline. */
  signal: AbortSignal;
  /** Records progress (clamped to 0-100) for status polling. */
  reportProgress(percent: number): Promise<void>;
}

export type ImageJobHandler<N extends ImageJobName> = (payload: ImageJobPayload<N>, context: ImageJobContext) => Promise<ImageJobResult>;

/** One handler per catalog job: a missing one fails the build. */
export type ImageJobHandlers = { [N in ImageJobName]: ImageJobHandler<N> };

export type ImageJobEvent =
  | { type: 'started'; jobId: string; name: string; attempt: number }
  | { type: 'completed'; jobId: string; name: string; attempt: number; durationMs: number }
  | { type: 'failed'; jobId: string; name: string; attempt: number; durationMs: number; error: Error; willRetry: boolean }
  | { type: 'cancelled' | 'handed_back'; jobId: string; name: string; attempt: number; durationMs: number };

/** Abort reasons the worker gives BullMQ's per-job AbortController. */
export const ABORT_REASON_CANCEL = 'imageforge:cancel';
export const ABORT_REASON_SHUTDOWN = 'imageforge:shutdown';

interface ProcessorDeps {
  handlers: ImageJobHandlers;
  /** Reads cancel requests; the worker's own connection. */
  connection: Redis;
  queue: { toKey(type: string): string };
  onJobEvent(event: ImageJobEvent): void;
}

/**
 * Wraps the handlers in what every job needs: parse the payload again (it may
 * predate this deploy), honour a recorded cancel request, parse the result,
 * and turn aborts into the right outcome (cancelled: unrecoverable; shutdown:
 * handed back to the wait list without spending an attempt).
 */
export function createImageJobProcessor(deps: ProcessorDeps): Processor {
  // Three declared parameters: BullMQ only creates the per-job AbortController for such processors.
  return async (job: Job, token?: string, signal?: AbortSignal): Promise<ImageJobResult> => {
    const jobId = job.id ?? '';
    const attempt = job.attemptsMade + 1;
    const startedAt = Date.now();
    const base = { jobId, name: job.name, attempt };
    if (!isImageJobName(job.name)) throw new UnrecoverableError(`unknown image job name ${job.name}`);
    const entry = imageJobCatalog[job.name];
    const payload = entry.payload.safeParse(job.data);
    if (!payload.success) {
      throw new UnrecoverableError(`invalid ${job.name} payload: ${payload.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ')}`);
    }
    const cancelRequested = async () => (await deps.connection.exists(cancelRequestKey(deps.queue, jobId))) === 1;
    if (await cancelRequested()) {
      deps.onJobEvent({ type: 'cancelled', ...base, durationMs: 0 });
      throw new UnrecoverableError(cancelledReason());
    }

    const jobSignal = signal ?? new AbortController().signal;
    const handler = deps.handlers[job.name] as ImageJobHandler<typeof job.name>;
    deps.onJobEvent({ type: 'started', ...base });
    try {
      const raw = await handler(payload.data as ImageJobPayload<typeof job.name>, {
        jobId,
        attempt,
        signal: jobSignal,
        reportProgress: (percent) => job.updateProgress(Math.min(100, Math.max(0, Math.round(percent)))),
      });
      const result = entry.result.safeParse(raw);
      if (!result.success) throw new UnrecoverableError(`the ${job.name} handler returned an invalid result: ${result.error.message}`);
      deps.onJobEvent({ type: 'completed', ...base, durationMs: Date.now() - startedAt });
      return result.data;
    } catch (error) {
      const durationMs = Date.now() - startedAt;
      if (jobSignal.aborted && jobSignal.reason === ABORT_REASON_SHUTDOWN && token) {
        // If Redis refuses the move, the job stays active until its lock expires
        // and stalled detection returns it: handed back either way.
        await job.moveToWait(token).catch(() => undefined);
        deps.onJobEvent({ type: 'handed_back', ...base, durationMs });
        // Tells BullMQ the job already left `active`, so it records no failure.
        throw new WaitingError();
      }
      const cancelled = !(error instanceof UnrecoverableError) &&
        ((jobSignal.aborted && jobSignal.reason === ABORT_REASON_CANCEL) || (await cancelRequested()));
      if (cancelled) {
        deps.onJobEvent({ type: 'cancelled', ...base, durationMs });
        throw new UnrecoverableError(cancelledReason());
      }
      const failure = error instanceof Error ? error : new Error(String(error));
      const willRetry = !(failure instanceof UnrecoverableError) && attempt < (job.opts.attempts ?? 1);
      deps.onJobEvent({ type: 'failed', ...base, durationMs, error: failure, willRetry });
      throw failure;
    }
  };
}
