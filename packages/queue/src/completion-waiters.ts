import { QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { imageJobCatalog, type ImageJobName, type ImageJobResult } from '@imageforge/jobs';
import { DEFAULT_QUEUE_PREFIX } from './job-id';
import { JobOutcomeReader, type JobOutcome } from './job-outcome-reader';
import { silentLogger, type QueueLogger } from './queue-logger';
import { settlesWithin } from './settles-within';
import { DuplicateWaiterError, JobMissingError, WaiterClosedError } from './waiter-errors';

export type CompletionOutcome =
  | { state: 'completed'; result: ImageJobResult }
  | { state: 'failed'; failedReason: string };

export interface CompletionWaiter {
  /** Settles with the final outcome; rejects with WaiterClosedError, JobMissingError or a result parse error. */
  promise: Promise<CompletionOutcome>;
  /** Stops waiting (the caller timed out); the promise then never settles. */
  cancel(): void;
}

export interface CompletionWaitersOptions {
  /** A `consumer` connection: each QueueEvents duplicates it, reconciliation reads use it. */
  connection: Redis;
  queueNames: readonly string[];
  /** BullMQ key prefix. Default `bull`. */
  prefix?: string;
  /** How often waiters are checked against job state in Redis. Default 1 000 ms. */
  reconcileIntervalMs?: number;
  /** Waiters younger than this are left to QueueEvents. Default 2 000 ms. */
  reconcileAfterMs?: number;
  /** Jobs read per Redis round trip while reconciling. Default 200. */
  reconcileBatchSize?: number;
  /** Longest wait for each QueueEvents connection to close. Default 2 000 ms. */
  closeTimeoutMs?: number;
  /** Consecutive reads that find no job before a waiter is rejected with JobMissingError. Default 3. */
  missingReadsBeforeReject?: number;
  logger?: QueueLogger;
}

interface Waiter {
  jobId: string;
  queue: string;
  name: ImageJobName;
  registeredAt: number;
  missingReads: number;
  resolve(outcome: CompletionOutcome): void;
  reject(error: Error): void;
}

/**
 * Lets many concurrent requests wait for their jobs with ONE QueueEvents per
 * queue and a map, instead of a listener per job (`Job.waitUntilFinished`).
 * QueueEvents delivery is best-effort (events trimmed during a reconnect are
 * lost), so waiters older than `reconcileAfterMs` are also checked against the
 * job's state by a single slow poll.
 */
export class CompletionWaiters {
  private readonly waiters = new Map<string, Map<string, Waiter>>();
  private readonly events: QueueEvents[] = [];
  private readonly reader: JobOutcomeReader;
  private readonly timer: NodeJS.Timeout;
  private readonly logger: QueueLogger;
  private readonly reconcileAfterMs: number;
  private readonly missingReadsBeforeReject: number;
  private readonly closeTimeoutMs: number;
  private reconciling = false;
  private closed = false;

  constructor(options: CompletionWaitersOptions) {
    const prefix = options.prefix ?? DEFAULT_QUEUE_PREFIX;
    this.logger = options.logger ?? silentLogger;
    this.reconcileAfterMs = options.reconcileAfterMs ?? 2_000;
    this.missingReadsBeforeReject = options.missingReadsBeforeReject ?? 3;
    this.closeTimeoutMs = options.closeTimeoutMs ?? 2_000;
    this.reader = new JobOutcomeReader(options.connection, prefix, options.reconcileBatchSize ?? 200);
    for (const queue of new Set(options.queueNames)) {
      this.waiters.set(queue, new Map());
      const events = new QueueEvents(queue, { connection: options.connection, prefix });
      events.on('error', (error) => this.logger.warn({ err: error, queue }, 'queue events error'));
      events.on('completed', ({ jobId, returnvalue }) => this.onCompleted(queue, jobId, returnvalue));
      // A `failed` event is not proof of a final failure in every BullMQ version
      // (older ones emit it per attempt), so the job's state decides.
      events.on('failed', ({ jobId }) => void this.check(queue, [jobId]));
      this.events.push(events);
    }
    this.timer = setInterval(() => void this.reconcile(), options.reconcileIntervalMs ?? 1_000);
    this.timer.unref();
  }

  /** Number of pending waiters, for metrics. */
  get size(): number {
    let total = 0;
    for (const byId of this.waiters.values()) total += byId.size;
    return total;
  }

  async waitUntilReady(): Promise<void> {
    await Promise.all(this.events.map((events) => events.waitUntilReady()));
  }

  /**
   * Call BEFORE adding the job, or its completion can be missed by QueueEvents.
   * If the add then fails, call `cancel()`; otherwise the waiter ends in JobMissingError.
   */
  register(jobId: string, job: { queue: string; name: ImageJobName }): CompletionWaiter {
    if (this.closed) throw new WaiterClosedError(jobId);
    const byId = this.waiters.get(job.queue);
    if (!byId) throw new Error(`CompletionWaiters does not listen to queue ${job.queue}`);
    if (byId.has(jobId)) throw new DuplicateWaiterError(jobId);
    let waiter!: Waiter;
    const promise = new Promise<CompletionOutcome>((resolve, reject) => {
      waiter = { jobId, queue: job.queue, name: job.name, registeredAt: Date.now(), missingReads: 0, resolve, reject };
    });
    byId.set(jobId, waiter);
    // The caller may stop listening (timeout) before close() rejects this promise:
    // that must not become an unhandled rejection. The caller still sees it.
    promise.catch(() => undefined);
    return { promise, cancel: () => void this.remove(waiter) };
  }

  /** Stops listening; every pending waiter is rejected with WaiterClosedError. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    for (const byId of this.waiters.values()) {
      for (const waiter of byId.values()) waiter.reject(new WaiterClosedError(waiter.jobId));
      byId.clear();
    }
    // Closing a QueueEvents whose connection is waiting to reconnect never
    // resolves (no 'end' event comes); shutdown must not hang on an outage.
    await Promise.all(
      this.events.map(async (events) => {
        if (!(await settlesWithin(events.close(), this.closeTimeoutMs))) {
          this.logger.warn({ queue: events.name }, 'queue events did not close in time');
        }
      }),
    );
  }

  private onCompleted(queue: string, jobId: string, returnvalue: unknown): void {
    const waiter = this.waiters.get(queue)?.get(jobId);
    if (waiter) this.settle(waiter, { state: 'completed', returnvalue });
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
    let outcomes: Map<string, JobOutcome>;
    try {
      outcomes = await this.reader.read(queue, jobIds);
    } catch (error) {
      this.logger.warn({ err: error, queue }, 'reconciling job waiters failed; retrying on the next tick');
      return;
    }
    for (const [jobId, outcome] of outcomes) {
      const waiter = this.waiters.get(queue)?.get(jobId);
      if (!waiter) continue;
      if (outcome.state === 'missing') {
        waiter.missingReads += 1;
        if (waiter.missingReads >= this.missingReadsBeforeReject && this.remove(waiter)) {
          waiter.reject(new JobMissingError(jobId));
        }
      } else if (outcome.state !== 'pending') {
        waiter.missingReads = 0;
        this.settle(waiter, outcome);
      }
    }
  }

  private settle(waiter: Waiter, outcome: Exclude<JobOutcome, { state: 'pending' | 'missing' }>): void {
    if (!this.remove(waiter)) return;
    if (outcome.state === 'failed') {
      waiter.resolve({ state: 'failed', failedReason: outcome.failedReason });
      return;
    }
    const parsed = imageJobCatalog[waiter.name].result.safeParse(outcome.returnvalue);
    if (parsed.success) {
      waiter.resolve({ state: 'completed', result: parsed.data });
    } else {
      waiter.reject(new Error(`job ${waiter.jobId} returned a result that does not match the ${waiter.name} schema`, { cause: parsed.error }));
    }
  }

  /** Removes the waiter if it is still registered; false when it was already settled or cancelled. */
  private remove(waiter: Waiter): boolean {
    const byId = this.waiters.get(waiter.queue);
    if (byId?.get(waiter.jobId) !== waiter) return false;
    byId.delete(waiter.jobId);
    return true;
  }
}
