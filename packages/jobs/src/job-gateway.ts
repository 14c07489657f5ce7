import type { JobCatalog, JobLane, JobName, JobOptions, JobPayload, JobResult } from './job-catalog';
import type { AnyJobRecord, JobOutcome } from './job-record';

/** One job to add; the producer's whole say over it. */
export interface EnqueueRequest<C extends JobCatalog, N extends JobName<C> = JobName<C>> {
  queue: string;
  name: N;
  payload: JobPayload<C, N>;
  /** Caller-chosen, so a waiter can be registered before the job exists. */
  jobId: string;
  /** Default `interactive`. */
  lane?: JobLane;
  /** BullMQ priority (1 runs first); overrides the lane's. */
  priority?: number;
  /** Milliseconds before the job may start. */
  delay?: number;
  /** Whose work it is (the key's hash): lanes that share capacity share it per owner. */
  owner?: string;
  /** How long the finished job stays readable, when its reader needs longer than the catalog keeps it. */
  retention?: Pick<JobOptions, 'removeOnComplete' | 'removeOnFail'>;
}

export interface EnqueuedJob {
  /** Unix milliseconds: the creation time polls will report. */
  createdAt: number;
}

export interface JobWaiter<R> {
  /** Resolves with the job's outcome; rejects with WaiterClosedError (shutdown) or JobMissingError. */
  promise: Promise<JobOutcome<R>>;
  /** Stops waiting (the caller gave up); the promise then never settles. */
  cancel(): void;
}

export type CancelOutcome =
  /** It had not started (waiting, delayed or between retries): it is now cancelled. */
  | 'cancelled'
  /** A worker is running it and was told to abort; it ends cancelled unless it finishes first. */
  | 'cancelling'
  | 'already_finished'
  | 'not_found'
  /** Asked with `ifNotStarted`: a worker had already started it, and it was left to finish. */
  | 'started';

export interface CancelOptions {
  /**
   * Cancel only a job no worker has started (waiting, or taken but still waiting for a slot);
   * a started one is left alone and answers `started`. For callers that went away, not for
   * an explicit cancel.
   */
  ifNotStarted?: boolean;
  /** Words after the cancel marker in the job's error message. Default: cancelled by request. */
  reason?: string;
}

/**
 * What a service needs from the job queue, for any catalog. The BullMQ gateway in the
 * queue package implements it; the in-memory one in the testing package lets services
 * and the API be unit-tested without Redis.
 */
export interface JobGateway<C extends JobCatalog> {
  /** Register BEFORE `enqueue`, so a fast completion cannot be missed. */
  watch<N extends JobName<C>>(job: { queue: string; jobId: string; name: N }): JobWaiter<JobResult<C, N>>;
  /** Parses the payload with the catalog (nothing is queued when it does not parse), then adds the job. */
  enqueue<N extends JobName<C>>(request: EnqueueRequest<C, N>): Promise<EnqueuedJob>;
  /**
   * Adds many jobs in one round trip per queue (a batch's chunk). Every payload is parsed
   * first, so a bad one leaves none of them queued; ids that exist keep their job.
   */
  enqueueBulk(requests: readonly EnqueueRequest<C>[]): Promise<void>;
  /** The job in whichever queue holds it, or null. */
  read(jobId: string): Promise<AnyJobRecord<C> | null>;
  cancel(jobId: string, options?: CancelOptions): Promise<CancelOutcome>;
  /**
   * Where the job stands in its lane while it waits there, with a sample of the work
   * ahead of it and what the lane is running; null when it does not wait (started,
   * finished, delayed for a retry, or unknown). One read: for polls, not for enqueue.
   */
  standing(jobId: string, options?: { sample?: number }): Promise<QueueStanding<C> | null>;
  /**
   * How much one lane of a model queue has waiting and running, read in one round trip: cheap
   * enough to ask before each sync enqueue (backpressure).
   */
  laneLoad(queue: string, lane: JobLane, options?: { sample?: number }): Promise<LaneLoad<C>>;
}

/** A lane's backlog and capacity at one moment. */
export interface LaneLoad<C extends JobCatalog> {
  /** Jobs waiting to start, those a worker holds until a slot frees included. */
  waiting: number;
  /** Jobs holding a worker slot: the lane's capacity now. */
  running: number;
  /** Payloads of up to `sample` (default 20) of the waiting jobs, nearest the head first, to weigh the rest by. */
  sample: JobPayload<C>[];
}

/** A waiting job's view of its lane, enough to estimate when it starts. */
export interface QueueStanding<C extends JobCatalog> {
  /** 0-based place in the lane's wait order (0: next). */
  position: number;
  /** Payloads of up to `sample` (default 50) of the jobs ahead of it, in no promised order. */
  ahead: JobPayload<C>[];
  /** The lane's jobs that hold a worker slot now: the lane's capacity at this moment. */
  running: Array<{ payload: JobPayload<C>; startedAt: number }>;
}
