import { z } from 'zod';
import type { JobLane } from './job-catalog';

/**
 * A job's deadlines travel in its payload (`deadline`), decided once by whoever queued it,
 * so every worker, whichever deploy it runs, enforces the same ones. The queue's processor
 * reads the field of any catalog whose payload carries it.
 */
export const JobDeadlineSchema = z.object({
  /** Unix milliseconds: a worker that takes the job later ends it `expired` without running it. */
  startBy: z.number().int().nonnegative().optional(),
  /** The queue wait `startBy` was reckoned from, for messages and the job object. */
  queueWaitMs: z.number().int().positive().optional(),
  /** Longest run once the job holds a slot: past it the run is aborted and the job fails for good. */
  runMs: z.number().int().positive().optional(),
});
export type JobDeadline = z.infer<typeof JobDeadlineSchema>;

/** The server's defaults (DEADLINE_QUEUE_WAIT_MS_<LANE>, DEADLINE_RUN_MS); an absent one is no deadline. */
export interface DeadlineDefaults {
  queueWaitMs?: Partial<Record<JobLane, number>>;
  runMs?: number;
}

/**
 * The deadline of a job accepted at `acceptedAt`: the caller's own queue wait (`x-deadline-ms`)
 * wins over its lane's default; the run limit is the server's. Undefined when there is none.
 */
export function jobDeadlineFor(defaults: DeadlineDefaults | undefined, job: { lane: JobLane; acceptedAt: number; queueWaitMs?: number }): JobDeadline | undefined {
  const queueWaitMs = job.queueWaitMs ?? defaults?.queueWaitMs?.[job.lane];
  const runMs = defaults?.runMs;
  if (queueWaitMs === undefined && runMs === undefined) return undefined;
  return {
    ...(queueWaitMs !== undefined ? { startBy: job.acceptedAt + queueWaitMs, queueWaitMs } : {}),
    ...(runMs !== undefined ? { runMs } : {}),
  };
}

/** The `deadline` of a payload of any catalog; a payload without one (or an older one) has none. */
export function jobDeadlineOf(payload: unknown): JobDeadline | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const deadline = (payload as { deadline?: unknown }).deadline;
  if (deadline === undefined) return undefined;
  const parsed = JobDeadlineSchema.safeParse(deadline);
  return parsed.success ? parsed.data : undefined;
}

/** failedReason prefix of a job that ended `expired` (a BullMQ failed job, as a cancelled one is). */
export const EXPIRED_REASON_PREFIX = 'expired:';

/** failedReason prefix of a job whose run passed its deadline: it is `failed`, with code `deadline_exceeded`. */
export const DEADLINE_EXCEEDED_REASON_PREFIX = 'deadline_exceeded:';

export function expiredReason(deadline: JobDeadline): string {
  const limit = deadline.queueWaitMs !== undefined ? `of ${deadline.queueWaitMs} ms` : `(${new Date(deadline.startBy ?? 0).toISOString()})`;
  return `${EXPIRED_REASON_PREFIX} not started within its queue-wait deadline ${limit}; it never ran`;
}

export function deadlineExceededReason(runMs: number): string {
  return `${DEADLINE_EXCEEDED_REASON_PREFIX} the run passed its deadline of ${runMs} ms and was aborted`;
}

export function isExpiredReason(reason: string | null | undefined): boolean {
  return typeof reason === 'string' && reason.startsWith(EXPIRED_REASON_PREFIX);
}

export function isDeadlineExceededReason(reason: string | null | undefined): boolean {
  return typeof reason === 'string' && reason.startsWith(DEADLINE_EXCEEDED_REASON_PREFIX);
}
