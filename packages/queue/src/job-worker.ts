import { hostname } from 'node:os';
import { QueueEventsProducer, QueueKeys, Worker, type Job } from 'bullmq';
import { jobNames, type JobCatalog, type JobHandlers, type JobSettledHook, type SettledJob } from '@imageforge/jobs';
import { CancelSubscriber } from './cancel-subscriber';
import type { GateLane } from './capacity-gate';
import { GateBinding } from './gate-binding';
import { PARTIAL_IMAGE_EVENT } from './job-events';
import { ABORT_REASON_CANCEL, ABORT_REASON_SHUTDOWN, createJobProcessor, type WorkerJobEvent } from './job-processor';
import { cancelChannel } from './job-cancellation';
import { DEFAULT_EVENTS_MAX_LEN } from './job-queue';
import { DEFAULT_QUEUE_PREFIX, queuePrefix } from './queue-keys';
import { silentLogger, type QueueLogger } from './queue-logger';
import { duplicateConnection, type RedisClient } from './redis-connection';
import { settlesWithin } from './settles-within';

export interface JobWorkerOptions<C extends JobCatalog> {
  catalog: C;
  handlers: JobHandlers<C>;
  /** A `consumer` connection; the worker duplicates it and never closes the original. */
  connection: RedisClient;
  queueName: string;
  /** Jobs run at once in this process; with a `gate`, the most this worker holds at once. */
  concurrency: number;
  /**
   * The lane of a capacity gate shared with other workers of this process: each job waits
   * there for a slot before its handler runs, and the worker holds only what the lane runs
   * plus one job waiting (see GateBinding).
   */
  gate?: GateLane;
  /** Shown in CLIENT LIST, bull-board and each job's `processedBy`. Default `<hostname>-<pid>`. */
  name?: string;
  /** Base of the queue's hash-tagged key prefix. Default `bull`. */
  prefix?: string;
  /**
   * How long a job's lock lives without renewal; renewed every half of it. A
   * lock that expires mid-inference (event loop blocked longer than this) lets
   * the stalled checker give the job to another worker, which runs it twice.
   * Default 60 000 ms (BullMQ's 30 s is tight for a busy inference process).
   */
  lockDuration?: number;
  /** How often this worker looks for jobs whose lock expired. Default 30 000 ms. */
  stalledInterval?: number;
  /** Stalls (lost locks, as after a worker crash) a job survives before it fails. Default 2 (BullMQ's own is 1). */
  maxStalledCount?: number;
  /** Time after aborting in-flight jobs at the deadline for them to be handed back. Default 2 000 ms. */
  handBackGraceMs?: number;
  /** Length the event stream is trimmed to when this worker appends to it; keep it the producers'. Default 100 000. */
  eventsMaxLen?: number;
  logger?: QueueLogger;
  /** Called for every job transition, for metrics and logs. */
  onJobEvent?: (event: WorkerJobEvent) => void;
  /** Awaited before BullMQ records an outcome (batch tallies, webhook outbox); see JobSettledHook. */
  onSettled?: JobSettledHook<C>;
  /**
   * Called once BullMQ has recorded a final outcome (never for an attempt that will be retried), for
   * what must not happen while the job could still run again: deleting its inputs. A crash between
   * the record and this call skips it, so use it only for what a later sweep also cleans up. Not
   * awaited by the worker; a rejection is logged.
   */
  onRecorded?: (settled: SettledJob<C>) => Promise<void>;
  /** Delays of jobs whose catalog backoff is `custom`; see JobBackoffStrategy. */
  backoffStrategy?: JobBackoffStrategy;
}

/**
 * Milliseconds before the next attempt, given the attempts made so far (1 after the
 * first failure) and the error the last one threw; -1 fails the job instead.
 */
export type JobBackoffStrategy = (attemptsMade: number, error: Error | undefined) => number;

export interface WorkerHandle {
  /** The BullMQ worker, for metrics and bull-board. */
  readonly worker: Worker;
  /**
   * Stops taking jobs and waits up to `deadlineMs` for active ones; then aborts
   * them so they go back to the wait list for another worker.
   */
  close(deadlineMs?: number): Promise<void>;
}

/** Starts a worker that runs one catalog's jobs from one queue. */
export async function createJobWorker<C extends JobCatalog>(options: JobWorkerOptions<C>): Promise<WorkerHandle> {
  // Types already demand every handler; this catches a map assembled at run time.
  const missing = jobNames(options.catalog).filter((name) => typeof options.handlers[name] !== 'function');
  if (missing.length > 0) throw new Error(`job worker has no handler for ${missing.join(', ')}`);
  const logger = options.logger ?? silentLogger;
  const name = options.name ?? `${hostname()}-${process.pid}`;
  // Own connection, so a forced disconnect at shutdown never touches the caller's.
  const connection = duplicateConnection(options.connection, `imageforge:worker:${name}`);
  connection.on('error', (error) => logger.warn({ err: error }, 'worker connection error'));

  const prefix = queuePrefix(options.prefix ?? DEFAULT_QUEUE_PREFIX, options.queueName);
  const queueKeys = new QueueKeys(prefix);
  const keys = { toKey: (type: string) => queueKeys.toKey(options.queueName, type) };
  const events = new QueueEventsProducer(options.queueName, { connection, prefix });
  const eventsMaxLen = options.eventsMaxLen ?? DEFAULT_EVENTS_MAX_LEN;
  const gate = options.gate ? new GateBinding(options.gate, options.concurrency) : undefined;
  // BullMQ hands the processor and its completed/failed events the same Job object.
  const settledJobs = new WeakMap<Job, SettledJob<C>>();
  const processor = createJobProcessor({
    catalog: options.catalog,
    handlers: options.handlers,
    connection,
    queue: keys,
    queueName: options.queueName,
    ...(options.onSettled ? { onSettled: options.onSettled } : {}),
    ...(options.onRecorded ? { settledBeforeRecord: (job: Job, settled: SettledJob<C>) => settledJobs.set(job, settled) } : {}),
    ...(gate ? { acquireSlot: gate.acquireSlot } : {}),
    publishPartialImage: (jobId, partial) =>
      events.publishEvent(
        { eventName: PARTIAL_IMAGE_EVENT, jobId, key: partial.key, imageIndex: String(partial.imageIndex), partialIndex: String(partial.partialIndex) },
        eventsMaxLen,
      ),
    onJobEvent: options.onJobEvent ?? (() => undefined),
  });
  const worker = new Worker(options.queueName, processor, {
    connection,
    prefix,
    name,
    concurrency: gate ? gate.concurrency() : options.concurrency,
    lockDuration: options.lockDuration ?? 60_000,
    stalledInterval: options.stalledInterval ?? 30_000,
    maxStalledCount: options.maxStalledCount ?? 2,
    // bull-board's throughput charts read these per-minute counts: keep a week.
    metrics: { maxDataPoints: 60 * 24 * 7 },
    ...(options.backoffStrategy ? { settings: { backoffStrategy: jobBackoff(options.backoffStrategy) } } : {}),
    autorun: false,
  });
  worker.on('error', (error) => logger.error({ err: error, queue: options.queueName }, 'worker error'));
  worker.on('lockRenewalFailed', (jobIds) => logger.warn({ jobIds, queue: options.queueName }, 'job lock renewal failed; the job may run twice'));
  const { onRecorded } = options;
  if (onRecorded) {
    // Both events follow BullMQ's move to completed or failed; a retried attempt was never marked settled.
    const recorded = (job: Job | undefined) => {
      const settled = job && settledJobs.get(job);
      if (!settled) return;
      settledJobs.delete(job);
      onRecorded(settled).catch((error: unknown) => logger.warn({ err: error, jobId: settled.jobId, queue: options.queueName }, 'after-record step of a job failed'));
    };
    worker.on('completed', recorded);
    worker.on('failed', recorded);
  }
  gate?.attach(worker);

  const subscriber = await CancelSubscriber.start(
    connection,
    cancelChannel(keys),
    (jobId) => void worker.cancelJob(jobId, ABORT_REASON_CANCEL),
    logger,
    `imageforge:worker:${name}:cancel`,
  );
  worker.run().catch((error) => logger.error({ err: error }, 'worker stopped'));
  await worker.waitUntilReady();

  let closing: Promise<void> | undefined;
  const close = (deadlineMs = 30_000): Promise<void> => {
    closing ??= (async () => {
      gate?.handBackWaiting();
      const closed = worker.close();
      if (!(await settlesWithin(closed, deadlineMs))) {
        logger.warn({ queue: options.queueName }, 'shutdown deadline reached; handing active jobs back');
        worker.cancelAllJobs(ABORT_REASON_SHUTDOWN);
        if (!(await settlesWithin(closed, options.handBackGraceMs ?? 2_000))) {
          // A handler ignored its signal. `close(true)` cannot follow a pending
          // `close()`, so drop the connections: the job's lock then expires and
          // stalled detection hands it to another worker.
          logger.warn({ queue: options.queueName }, 'active jobs ignored the abort; leaving them to stalled detection');
          await worker.disconnect().catch(() => undefined);
        }
      }
      await subscriber.close();
      gate?.detach();
      await settlesWithin(events.close(), 1_000);
      // worker.disconnect() may have ended it already; disconnecting again arms a socket timer nothing clears.
      if (connection.status !== 'end') connection.disconnect();
    })();
    return closing;
  };
  return { worker, close };
}

/** BullMQ's strategy signature, narrowed to what a strategy here may look at. */
function jobBackoff(strategy: JobBackoffStrategy) {
  return (attemptsMade: number, _type?: string, error?: Error) => strategy(attemptsMade, error);
}
