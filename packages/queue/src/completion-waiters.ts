import { DuplicateWaiterError, JobMissingError, WaiterClosedError, type JobEvent, type JobEventSource, type JobOutcome } from '@imageforge/jobs';
import { JobOutcomeReader, type OutcomeRead } from './job-outcome-reader';
import { laneQueueNames } from './lane-queues';
import { DEFAULT_QUEUE_PREFIX, queuePrefix } from './queue-keys';
import { silentLogger, type QueueLogger } from './queue-logger';
import type { RedisClient } from './redis-connection';

export interface CompletionWaiter {
  /** Settles with the job's outcome; rejects with WaiterClosedError or JobMissingError. */
  promise: Promise<JobOutcome>;
  /** Stops waiting (the caller timed out); the promise then never settles. */
  cancel(): void;
}

export interface CompletionWaitersOptions {
  /** The process's job event stream; waiters are one of its subscribers. */
  events: JobEventSource;
  /** A `consumer` connection for the reconciliation reads. */
  connection: RedisClient;
  /** Model queues; a waiter's job may be in any lane of its queue. */
  queueNames: readonly string[];
  /** Base of each queue's hash-tagged key prefix. Default `bull`. */
  prefix?: string;
  /** How often waiters are checked against job state in Redis. Default 1 000 ms. */
  reconcileIntervalMs?: number;
  /** Waiters younger than this are left to the event stream. Default 2 000 ms. */
  reconcileAfterMs?: number;
  /** Jobs read per Redis round trip while reconciling. Default 200. */
  reconcileBatchSize?: number;
  /** Consecutive reads that find no job before a waiter is rejected with JobMissingError. Default 3. */
  missingReadsBeforeReject?: number;
  logger?: QueueLogger;
}

interface Waiter {
  jobId: string;
  queue: string;
  registeredAt: number;
  missingReads: number;
  resolve(outcome: JobOutcome): void;
  reject(error: Error): void;
}

/**
 * Lets many concurrent requests wait for their jobs through one subscription to the
 * job event stream and a map, instead of a listener per job. Event delivery is
 * best-effort (events trimmed during a reconnect are lost), so waiters older than
 * `reconcileAfterMs` are also checked against the jobs' state by one slow poll.
 */
export class CompletionWaiters {
  private readonly waiters = new Map<string, Map<string, Waiter>>();
  /** Model queue -> its lane queues, most urgent first, as the outcome reader addresses them. */
  private readonly lanes = new Map<string, Array<{ name: string; prefix: string }>>();
  private readonly reader: JobOutcomeReader;
  private readonly timer: NodeJS.Timeout;
  private readonly unsubscribe: () => void;
  private readonly logger: QueueLogger;
  private readonly reconcileAfterMs: number;
  private readonly missingReadsBeforeReject: number;
  private reconciling = false;
  private closed = false;

  constructor(options: CompletionWaitersOptions) {
    this.logger = options.logger ?? silentLogger;
    this.reconcileAfterMs = options.reconcileAfterMs ?? 2_000;
    this.missingReadsBeforeReject = options.missingReadsBeforeReject ?? 3;
    this.reader = new JobOutcomeReader(options.connection, options.reconcileBatchSize ?? 200);
    for (const queue of new Set(options.queueNames)) {
      this.waiters.set(queue, new Map());
      this.lanes.set(
        queue,
        laneQueueNames(queue).map((name) => ({ name, prefix: queuePrefix(options.prefix ?? DEFAULT_QUEUE_PREFIX, name) })),
      );
    }
    this.unsubscribe = options.events.subscribe((event) => this.onEvent(event));
    this.timer = setInterval(() => void this.reconcile(), options.reconcileIntervalMs ?? 1_000);
    this.timer.unref();
  }

  /** Number of pending waiters, for metrics. */
  get size(): number {
    let total = 0;
    for (const byId of this.waiters.values()) total += byId.size;
    return total;
  }

  /**
   * Call BEFORE adding the job, or its completion can be missed.
   * If the add then fails, call `cancel()`; otherwise the waiter ends in JobMissingError.
   */
  register(jobId: string, job: { queue: string }): CompletionWaiter {
    if (this.closed) throw new WaiterClosedError(jobId);
    const byId = this.waiters.get(job.queue);
    if (!byId) throw new Error(`CompletionWaiters does not listen to queue ${job.queue}`);
    if (byId.has(jobId)) throw new DuplicateWaiterError(jobId);
    let waiter!: Waiter;
    const promise = new Promise<JobOutcome>((resolve, reject) => {
      waiter = { jobId, queue: job.queue, registeredAt: Date.now(), missingReads: 0, resolve, reject };
    });
    byId.set(jobId, waiter);
    // The caller may stop listening (timeout) before close() rejects this promise:
    // that must not become an unhandled rejection. The caller still sees it.
    promise.catch(() => undefined);
    return { promise, cancel: () => void this.remove(waiter) };
  }

  /** Stops listening; every pending waiter is rejected with WaiterClosedError. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.unsubscribe();
    for (const byId of this.waiters.values()) {
      for (const waiter of byId.values()) waiter.reject(new WaiterClosedError(waiter.jobId));
      byId.clear();
    }
  }

  private onEvent(event: JobEvent): void {
    const waiter = this.waiters.get(event.queue)?.get(event.jobId);
    if (!waiter) return;
    if (event.type === 'completed') this.settle(waiter, { status: 'succeeded', result: event.returnvalue });
    else if (event.type === 'failed' || event.type === 'cancelled' || event.type === 'expired') this.settle(waiter, { status: event.type, reason: event.reason });
  }

  private async reconcile(): Promise<void> {
    if (this.reconciling || this.closed) return;
    this.reconciling = true;
    try {
      const cutoff = Date.now() - this.reconcileAfterMs;
      for (const [queue, byId] of this.waiters) {
        const stale = [...byId.values()].filter((waiter) => waiter.registeredAt <= cutoff).map((waiter) => waiter.jobId);
        if (stale.length > 0) await this.check(queue, stale);
      }
    } finally {
      this.reconciling = false;
    }
  }

  private async check(queue: string, jobIds: string[]): Promise<void> {
    let outcomes;
    try {
      outcomes = await this.readAcrossLanes(queue, jobIds);
    } catch (error) {
      this.logger.warn({ err: error, queue }, 'reconciling job waiters failed; retrying on the next tick');
      return;
    }
    for (const [jobId, outcome] of outcomes) {
      const waiter = this.waiters.get(queue)?.get(jobId);
      if (!waiter) continue;
      if (outcome === 'missing') {
        waiter.missingReads += 1;
        if (waiter.missingReads >= this.missingReadsBeforeReject && this.remove(waiter)) {
          waiter.reject(new JobMissingError(jobId));
        }
      } else if (outcome !== 'pending') {
        waiter.missingReads = 0;
        this.settle(waiter, outcome);
      }
    }
  }

  /** A job is missing only when no lane queue holds it; lanes are read most urgent first, where waited-for jobs are. */
  private async readAcrossLanes(queue: string, jobIds: string[]): Promise<Map<string, OutcomeRead>> {
    const outcomes = new Map<string, OutcomeRead>();
    let remaining = jobIds;
    for (const lane of this.lanes.get(queue)!) {
      if (remaining.length === 0) break;
      for (const [jobId, outcome] of await this.reader.read(lane, remaining)) if (outcome !== 'missing') outcomes.set(jobId, outcome);
      remaining = remaining.filter((jobId) => !outcomes.has(jobId));
    }
    for (const jobId of remaining) outcomes.set(jobId, 'missing');
    return outcomes;
  }

  private settle(waiter: Waiter, outcome: JobOutcome): void {
    if (this.remove(waiter)) waiter.resolve(outcome);
  }

  /** Removes the waiter if it is still registered; false when it was already settled or cancelled. */
  private remove(waiter: Waiter): boolean {
    const byId = this.waiters.get(waiter.queue);
    if (byId?.get(waiter.jobId) !== waiter) return false;
    byId.delete(waiter.jobId);
    return true;
  }
}
