import {
  DuplicateWaiterError,
  isFinalStatus,
  JobMissingError,
  WaiterClosedError,
  type AnyJobRecord,
  type CancelOptions,
  type CancelOutcome,
  type EnqueuedJob,
  type EnqueueRequest,
  type JobCatalog,
  type JobGateway,
  type JobLane,
  type JobName,
  type JobOutcome,
  type JobRecord,
  type JobResult,
  type JobWaiter,
  type LaneLoad,
  type QueueStanding,
} from '@imageforge/jobs';

interface Pending {
  resolve(outcome: JobOutcome): void;
  reject(error: Error): void;
}

/**
 * A JobGateway without Redis, for unit tests of services and the API: jobs live in
 * a map and the test plays the worker (`start`, `progress`, `complete`, `fail`).
 * Payloads and results are parsed with the catalog, as the real queue does, so a
 * service that builds a bad payload fails here too. The real-Redis tests stay the
 * proof that the BullMQ gateway behaves the same.
 */
export class InMemoryJobGateway<C extends JobCatalog> implements JobGateway<C> {
  private readonly jobs = new Map<string, JobRecord<C>>();
  private readonly waiters = new Map<string, Pending>();
  private readonly enqueueFailures: Error[] = [];
  private closed = false;

  constructor(
    private readonly catalog: C,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Every job added, in order. */
  get records(): JobRecord<C>[] {
    return [...this.jobs.values()];
  }

  /** Number of callers waiting. */
  get waiting(): number {
    return this.waiters.size;
  }

  watch<N extends JobName<C>>(job: { queue: string; jobId: string; name: N }): JobWaiter<JobResult<C, N>> {
    if (this.closed) throw new WaiterClosedError(job.jobId);
    if (this.waiters.has(job.jobId)) throw new DuplicateWaiterError(job.jobId);
    let pending!: Pending;
    const promise = new Promise<JobOutcome>((resolve, reject) => {
      pending = { resolve, reject };
    });
    promise.catch(() => undefined);
    this.waiters.set(job.jobId, pending);
    return {
      promise: promise as Promise<JobOutcome<JobResult<C, N>>>,
      cancel: () => {
        if (this.waiters.get(job.jobId) === pending) this.waiters.delete(job.jobId);
      },
    };
  }

  async enqueueBulk(requests: readonly EnqueueRequest<C>[]): Promise<void> {
    for (const request of requests) this.catalog[request.name]!.payload.parse(request.payload);
    for (const request of requests) await this.enqueue(request);
  }

  async enqueue<N extends JobName<C>>(request: EnqueueRequest<C, N>): Promise<EnqueuedJob> {
    const failure = this.enqueueFailures.shift();
    if (failure) throw failure;
    const payload = this.catalog[request.name]!.payload.parse(request.payload) as JobRecord<C>['payload'];
    // As BullMQ: adding an id that exists keeps the existing job.
    const existing = this.jobs.get(request.jobId);
    if (existing) return { createdAt: existing.createdAt };
    const createdAt = this.clock();
    this.jobs.set(request.jobId, { id: request.jobId, name: request.name, queue: request.queue, status: 'queued', progress: 0, createdAt, attemptsMade: 0, payload });
    return { createdAt };
  }

  async read(jobId: string): Promise<AnyJobRecord<C> | null> {
    const record = this.jobs.get(jobId);
    return record ? ({ ...record } as AnyJobRecord<C>) : null;
  }

  async cancel(jobId: string, options: CancelOptions = {}): Promise<CancelOutcome> {
    const record = this.jobs.get(jobId);
    if (!record) return 'not_found';
    if (isFinalStatus(record.status)) return 'already_finished';
    if (record.status === 'in_progress') return options.ifNotStarted ? 'started' : 'cancelling';
    this.finish(jobId, { status: 'cancelled', reason: `cancelled: ${options.reason ?? 'cancelled by request'}` });
    return 'cancelled';
  }

  /** First come, first served among the queued jobs of its queue and lane (no priorities here). */
  async standing(jobId: string, options: { sample?: number } = {}): Promise<QueueStanding<C> | null> {
    const record = this.jobs.get(jobId);
    if (!record || record.status !== 'queued') return null;
    const lane = (job: JobRecord<C>) => (job.payload as { lane?: unknown }).lane;
    const sameLane = this.records.filter((job) => job.queue === record.queue && lane(job) === lane(record));
    const queued = sameLane.filter((job) => job.status === 'queued');
    const position = queued.findIndex((job) => job.id === jobId);
    return {
      position,
      ahead: queued.slice(0, position).slice(-(options.sample ?? 50)).map((job) => job.payload),
      running: sameLane.filter((job) => job.status === 'in_progress').map((job) => ({ payload: job.payload, startedAt: job.startedAt ?? this.clock() })),
    };
  }

  /** Queued and running jobs of one queue and lane (a job without a lane is interactive's, as in the real queue). */
  async laneLoad(queue: string, lane: JobLane, options: { sample?: number } = {}): Promise<LaneLoad<C>> {
    const inLane = this.records.filter((job) => job.queue === queue && ((job.payload as { lane?: JobLane }).lane ?? 'interactive') === lane);
    const waiting = inLane.filter((job) => job.status === 'queued');
    return {
      waiting: waiting.length,
      running: inLane.filter((job) => job.status === 'in_progress').length,
      sample: waiting.slice(0, options.sample ?? 20).map((job) => job.payload),
    };
  }

  /** The next `enqueue` rejects with `error` (Redis down, say) and adds nothing. */
  failNextEnqueue(error: Error): void {
    this.enqueueFailures.push(error);
  }

  start(jobId: string): void {
    const record = this.require(jobId);
    Object.assign(record, { status: 'in_progress', startedAt: this.clock() });
  }

  progress(jobId: string, percent: number): void {
    this.require(jobId).progress = percent;
  }

  complete(jobId: string, result: unknown): void {
    const record = this.require(jobId);
    this.finish(jobId, { status: 'succeeded', result: this.catalog[record.name]!.result.parse(result) });
  }

  fail(jobId: string, reason: string): void {
    this.finish(jobId, { status: 'failed', reason });
  }

  /** What a worker does with a job it took past its queue-wait deadline. */
  expire(jobId: string, reason: string): void {
    this.finish(jobId, { status: 'expired', reason });
  }

  /** A job that disappears from under its waiter (removed by hand, say). */
  remove(jobId: string): void {
    this.jobs.delete(jobId);
    const waiter = this.waiters.get(jobId);
    this.waiters.delete(jobId);
    waiter?.reject(new JobMissingError(jobId));
  }

  /** What an API shutdown does: every waiter rejects with WaiterClosedError; jobs stay. */
  closeWaiters(): void {
    this.closed = true;
    for (const [jobId, waiter] of this.waiters) waiter.reject(new WaiterClosedError(jobId));
    this.waiters.clear();
  }

  private finish(jobId: string, outcome: JobOutcome): void {
    const record = this.require(jobId);
    const finishedAt = this.clock();
    record.finishedAt = finishedAt;
    record.startedAt ??= finishedAt;
    record.attemptsMade += 1;
    record.status = outcome.status;
    if (outcome.status === 'succeeded') {
      record.progress = 100;
      record.result = outcome.result as JobResult<C>;
    } else {
      record.error = { message: outcome.reason };
    }
    const waiter = this.waiters.get(jobId);
    this.waiters.delete(jobId);
    waiter?.resolve(outcome);
  }

  private require(jobId: string): JobRecord<C> {
    const record = this.jobs.get(jobId);
    if (!record) throw new Error(`no job ${jobId} in the in-memory gateway`);
    return record;
  }
}
