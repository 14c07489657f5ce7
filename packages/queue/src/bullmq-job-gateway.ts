import type {
  AnyJobRecord,
  CancelOptions,
  CancelOutcome,
  EnqueuedJob,
  EnqueueRequest,
  JobCatalog,
  JobGateway,
  JobLane,
  JobName,
  JobResult,
  JobWaiter,
  LaneLoad,
  QueueStanding,
} from '@imageforge/jobs';
import type { CompletionWaiters } from './completion-waiters';
import { cancelJob } from './job-cancellation';
import { jobLaneLoad } from './job-lane-load';
import { jobQueueStanding } from './job-queue-standing';
import type { JobQueue } from './job-queue';
import { readJobRecord } from './job-record-reader';
import type { RedisClient } from './redis-connection';

export interface BullmqJobGatewayDeps<C extends JobCatalog> {
  queue: JobQueue<C>;
  /** Absent in processes that add and read jobs but never wait on one (a worker expanding a batch). */
  waiters?: CompletionWaiters;
  /** The producer connection, for the cancel script. */
  connection: RedisClient;
}

/** JobGateway over BullMQ: a Queue per lane of each model queue, one shared set of waiters. */
export class BullmqJobGateway<C extends JobCatalog> implements JobGateway<C> {
  constructor(private readonly deps: BullmqJobGatewayDeps<C>) {}

  watch<N extends JobName<C>>(job: { queue: string; jobId: string; name: N }): JobWaiter<JobResult<C, N>> {
    if (!this.deps.waiters) throw new Error('this job gateway was built without completion waiters');
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

  /** Finds the lane queue first (one round trip across all of them), then reads only there. */
  async read(jobId: string): Promise<AnyJobRecord<C> | null> {
    const found = await this.deps.queue.locate(jobId);
    return found ? readJobRecord(this.deps.queue.catalog, found.bull, jobId, this.deps.connection, found.queue) : null;
  }

  async cancel(jobId: string, options: CancelOptions = {}): Promise<CancelOutcome> {
    const found = await this.deps.queue.locate(jobId);
    return found ? cancelJob(found.bull, this.deps.connection, jobId, {
          ...(options.ifNotStarted ? { ifNotStarted: true } : {}),
          ...(options.reason ? { reason: options.reason } : {}),
        }) : 'not_found';
  }

  async standing(jobId: string, options: { sample?: number } = {}): Promise<QueueStanding<C> | null> {
    const found = await this.deps.queue.locate(jobId);
    return found ? jobQueueStanding<C>(found.bull, this.deps.connection, jobId, options.sample) : null;
  }

  laneLoad(queue: string, lane: JobLane, options: { sample?: number } = {}): Promise<LaneLoad<C>> {
    return jobLaneLoad<C>(this.deps.queue.queue(queue, lane), this.deps.connection, options.sample);
  }
}
