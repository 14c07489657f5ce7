import type { ImageJobName, ImageJobPayload, ImageJobResult } from '@imageforge/jobs';

export type JobOutcome =
  | { state: 'completed'; result: ImageJobResult }
  | { state: 'failed'; failedReason: string }
  | { state: 'cancelled'; failedReason: string }
  /** This process stopped waiting (shutdown); the job itself goes on and stays pollable. */
  | { state: 'interrupted' };

/** What the queue assigned when a job was added. */
export interface EnqueuedJob {
  /** Unix milliseconds: the job's creation time as polls will report it. */
  createdAt: number;
}

export interface JobWaiter {
  promise: Promise<JobOutcome>;
  cancel(): void;
}

export interface ImageJobRecord {
  id: string;
  name: ImageJobName;
  queue: string;
  status: 'queued' | 'in_progress' | 'succeeded' | 'failed' | 'cancelled';
  progress: number;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  result?: ImageJobResult;
  errorMessage?: string;
  payload: ImageJobPayload<ImageJobName>;
}

/**
 * What the image service needs from the job queue. The BullMQ implementation
 * lives beside it; keeping the port small keeps the service about HTTP semantics.
 */
export interface ImageJobGateway {
  /** Register before `enqueue`, so a fast completion cannot be missed. */
  register(queue: string, jobId: string, name: ImageJobName): JobWaiter;
  enqueue<N extends ImageJobName>(queue: string, name: N, payload: ImageJobPayload<N>, jobId: string): Promise<EnqueuedJob>;
  /** The job in whichever queue holds it, or null. */
  read(jobId: string): Promise<ImageJobRecord | null>;
  /** Cancels a queued or running job; false when it had already finished. */
  cancel(jobId: string): Promise<boolean>;
}
