import { BATCH_QUEUE, type BatchJobCatalog } from '@imageforge/jobs';
import type { JobQueue } from '@imageforge/queue';
import { phaseJobId } from './batch-ids';

/**
 * Adds a batch's phase jobs under ids derived from the batch, so asking for a phase
 * that is queued, running or done adds nothing: a step that crashed after asking asks
 * again harmlessly.
 */
export class BatchPhaseQueue {
  constructor(private readonly queue: JobQueue<BatchJobCatalog>) {}

  async validate(batchId: string): Promise<void> {
    await this.queue.enqueue({ queue: BATCH_QUEUE, name: 'batch.validate', payload: { batchId }, jobId: phaseJobId(batchId, 'validate') });
  }

  async expand(batchId: string): Promise<void> {
    await this.queue.enqueue({ queue: BATCH_QUEUE, name: 'batch.expand', payload: { batchId }, jobId: phaseJobId(batchId, 'expand') });
  }

  /** `delayMs`: an expiry is queued when the batch is created, to run when its window closes. */
  async stop(batchId: string, reason: 'cancel' | 'expire', delayMs?: number): Promise<void> {
    await this.queue.enqueue({
      queue: BATCH_QUEUE,
      name: 'batch.stop',
      payload: { batchId, reason },
      jobId: phaseJobId(batchId, reason),
      ...(delayMs !== undefined ? { delay: Math.max(0, delayMs) } : {}),
    });
  }

  async finalize(batchId: string): Promise<void> {
    await this.queue.enqueue({ queue: BATCH_QUEUE, name: 'batch.finalize', payload: { batchId }, jobId: phaseJobId(batchId, 'finalize') });
  }
}
