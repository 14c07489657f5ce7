import type { Redis } from 'ioredis';
import { ConflictError } from '@imageforge/contracts';
import type { ImageJobName, ImageJobPayload } from '@imageforge/jobs';
import {
  cancelImageJob,
  isCancelledReason,
  readImageJobStatus,
  DuplicateWaiterError,
  WaiterClosedError,
  type CompletionWaiters,
  type ImageJobQueue,
} from '@imageforge/queue';
import type { EnqueuedJob, ImageJobGateway, ImageJobRecord, JobOutcome, JobWaiter } from './image-job-gateway';

export interface BullmqImageJobGatewayDeps {
  queue: ImageJobQueue;
  waiters: CompletionWaiters;
  /** The producer connection, for the cancel script. */
  connection: Redis;
}

/** ImageJobGateway over BullMQ: one Queue per queue name, one shared set of waiters. */
export class BullmqImageJobGateway implements ImageJobGateway {
  constructor(private readonly deps: BullmqImageJobGatewayDeps) {}

  register(queue: string, jobId: string, name: ImageJobName): JobWaiter {
    let waiter: { promise: Promise<JobOutcome>; cancel(): void };
    try {
      waiter = this.deps.waiters.register(jobId, { queue, name });
    } catch (error) {
      // Waiters already closed (shutting down): the job is still added, the caller gets its id.
      if (error instanceof WaiterClosedError) return { promise: Promise.resolve({ state: 'interrupted' }), cancel: () => undefined };
      if (error instanceof DuplicateWaiterError) {
        throw new ConflictError('Another request with this Idempotency-Key is still waiting for its job; retry once it has been answered.', {
          code: 'idempotent_request_in_progress',
          headers: { 'x-job-id': jobId },
        });
      }
      throw error;
    }
    return {
      cancel: () => waiter.cancel(),
      promise: waiter.promise.then(
        (outcome): JobOutcome =>
          outcome.state === 'failed' && isCancelledReason(outcome.failedReason)
            ? { state: 'cancelled', failedReason: outcome.failedReason }
            : outcome,
        (error: unknown): JobOutcome => {
          if (error instanceof WaiterClosedError) return { state: 'interrupted' };
          throw error;
        },
      ),
    };
  }

  async enqueue<N extends ImageJobName>(queue: string, name: N, payload: ImageJobPayload<N>, jobId: string): Promise<EnqueuedJob> {
    const job = await this.deps.queue.enqueue(name, payload, { queue, jobId });
    return { createdAt: job.timestamp };
  }

  async read(jobId: string): Promise<ImageJobRecord | null> {
    for (const name of this.deps.queue.queueNames) {
      const status = await readImageJobStatus(this.deps.queue.queue(name), jobId);
      if (status) {
        return {
          id: status.id,
          name: status.name,
          queue: status.queue,
          status: status.status,
          progress: status.progress,
          createdAt: status.createdAt,
          startedAt: status.startedAt,
          finishedAt: status.finishedAt,
          result: status.result,
          errorMessage: status.error?.message,
          payload: status.data,
        };
      }
    }
    return null;
  }

  async cancel(jobId: string): Promise<boolean> {
    for (const name of this.deps.queue.queueNames) {
      const outcome = await cancelImageJob(this.deps.queue.queue(name), this.deps.connection, jobId);
      if (outcome !== 'not_found') return outcome !== 'already_finished';
    }
    return false;
  }
}
