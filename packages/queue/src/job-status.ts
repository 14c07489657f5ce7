import type { Queue } from 'bullmq';
import { imageJobCatalog, isImageJobName, type AnyImageJobPayload, type ImageJobName, type ImageJobResult } from '@imageforge/jobs';
import { isCancelledReason } from './job-cancellation';

export type ImageJobStatusName = 'queued' | 'in_progress' | 'succeeded' | 'failed' | 'cancelled';

export interface ImageJobStatus {
  id: string;
  name: ImageJobName;
  queue: string;
  status: ImageJobStatusName;
  /** 0-100; 100 once succeeded. */
  progress: number;
  /** Unix milliseconds. */
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  attemptsMade: number;
  result?: ImageJobResult;
  error?: { message: string };
  /** The payload, parsed with the catalog schema. */
  data: AnyImageJobPayload;
}

const STATE_TO_STATUS: Record<string, ImageJobStatusName> = {
  waiting: 'queued',
  delayed: 'queued',
  prioritized: 'queued',
  'waiting-children': 'queued',
  active: 'in_progress',
  completed: 'succeeded',
  failed: 'failed',
};

/**
 * The job as the API reports it, or null when there is no such job (or it is
 * not an image job this build understands).
 */
export async function readImageJobStatus(queue: Queue, jobId: string): Promise<ImageJobStatus | null> {
  // State first: a job read after `completed` always carries its return value,
  // while the other order can pair `completed` with a hash read before it finished.
  const state = await queue.getJobState(jobId);
  const job = await queue.getJob(jobId);
  if (!job || !job.id || !isImageJobName(job.name)) return null;
  const entry = imageJobCatalog[job.name];
  const data = entry.payload.safeParse(job.data);
  if (!data.success) return null;

  let status = STATE_TO_STATUS[state] ?? 'queued';
  if (status === 'failed' && isCancelledReason(job.failedReason)) status = 'cancelled';
  const parsedResult = status === 'succeeded' ? entry.result.safeParse(job.returnvalue) : undefined;

  return {
    id: job.id,
    name: job.name,
    queue: queue.name,
    status,
    progress: status === 'succeeded' ? 100 : toPercent(job.progress),
    createdAt: job.timestamp,
    ...(job.processedOn ? { startedAt: job.processedOn } : {}),
    ...(job.finishedOn && status !== 'in_progress' && status !== 'queued' ? { finishedAt: job.finishedOn } : {}),
    attemptsMade: job.attemptsMade,
    ...(parsedResult?.success ? { result: parsedResult.data } : {}),
    ...(parsedResult && !parsedResult.success ? { error: { message: 'the job returned a malformed result' } } : {}),
    ...((status === 'failed' || status === 'cancelled') ? { error: { message: job.failedReason || 'unknown failure' } } : {}),
    data: data.data as AnyImageJobPayload,
  };
}

function toPercent(progress: unknown): number {
  if (typeof progress !== 'number' || !Number.isFinite(progress)) return 0;
  return Math.min(100, Math.max(0, Math.round(progress)));
}
