import type { AnyJobRecord, CancelOutcome, EnqueuedJob, EnqueueRequest, JobCatalog, JobGateway, JobName, JobResult, JobWaiter } from '@imageforge/jobs';
import type { CompletionWaiters } from './completion-waiters';
import { cancelJob } from './job-cancellation';
import type { JobQueue } from './job-queue';
import { readJobRecord } from './job-record-reader';
import type { RedisClient } from './redis-connection';

export interface BullmqJobGatewayDeps<C extends JobCatalog> {
  queue: JobQueue<C>;
  waiters: CompletionWaiters;
  /** The producer connection, for the cancel script. */
  connection: RedisClient;
}

/** JobGateway over BullMQ: one Queue per queue name, one shared set of waiters. */
export class BullmqJobGateway<C extends JobCatalog> implements JobGateway<C> {
  constructor(private readonly deps: BullmqJobGatewayDeps<C>) {}

  watch<N extends JobName<C>>(job: { queue: string; jobId: string; name: N }): JobWaiter<JobResult<C, N>> {
    // The processor parsed the result before storing it; it is not parsed again here.
    return this.deps.waiters.register(job.jobId, { queue: job.queue }) as JobWaiter<JobResult<C, N>>;
  }

  async enqueue<N extends JobName<C>>(request: EnqueueRequest<C, N>): Promise<EnqueuedJob> {
    const job = await this.deps.queue.enqueue(request);
    return { createdAt: job.timestamp };
  }

  enqueueBulk(requests: readonly EnqueueRequest<C>[]): Promise<void> {
    return this.deps.queue.enqueueBulk(requests);
  }

  async read(jobId: string): Promise<AnyJobRecord<C> | null> {
    for (const name of this.deps.queue.queueNames) {
      const record = await readJobRecord(this.deps.queue.catalog, this.deps.queue.queue(name), jobId);
      if (record) return record;
    }
    return null;
  }

  async cancel(jobId: string): Promise<CancelOutcome> {
    for (const name of this.deps.queue.queueNames) {
      const outcome = await cancelJob(this.deps.queue.queue(name), this.deps.connection, jobId);
      if (outcome !== 'not_found') return outcome;
    }
    return 'not_found';
  }
}
