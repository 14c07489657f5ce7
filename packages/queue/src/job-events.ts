import { QueueEvents } from 'bullmq';
import type { JobEvent, JobEventListener, JobEventSource } from '@imageforge/jobs';
import { failureStatus, progressPercent } from './job-state';
import { laneQueueNames } from './lane-queues';
import { DEFAULT_QUEUE_PREFIX, queuePrefix } from './queue-keys';
import { silentLogger, type QueueLogger } from './queue-logger';
import type { RedisClient } from './redis-connection';
import { settlesWithin } from './settles-within';

/** Name of the custom stream event a worker appends for each stored preview. */
export const PARTIAL_IMAGE_EVENT = 'partial_image';

export interface QueueJobEventsOptions {
  /** A `consumer` connection: each QueueEvents duplicates it for its blocking reads. */
  connection: RedisClient;
  /** Model queues: events of every lane of each are followed, named by the model queue. */
  queueNames: readonly string[];
  /** Base of each queue's hash-tagged key prefix. Default `bull`. */
  prefix?: string;
  /** Longest wait for each QueueEvents connection to close. Default 2 000 ms. */
  closeTimeoutMs?: number;
  logger?: QueueLogger;
}

/**
 * The job event stream of one process: ONE QueueEvents per lane queue, fanned out to any
 * number of subscribers, per job through a map (a listener per job on an emitter
 * would trip MaxListenersExceededWarning and cost O(listeners) per event).
 * BullMQ 6 appends `failed` only when a job has used its attempts, so every
 * `failed` here is final; retries show up as `queued` again.
 */
export class QueueJobEvents implements JobEventSource {
  private readonly listeners = new Set<JobEventListener>();
  private readonly byJob = new Map<string, Set<JobEventListener>>();
  private readonly events: QueueEvents[] = [];
  private readonly queues: string[];
  private readonly logger: QueueLogger;
  private readonly closeTimeoutMs: number;

  constructor(options: QueueJobEventsOptions) {
    this.logger = options.logger ?? silentLogger;
    this.closeTimeoutMs = options.closeTimeoutMs ?? 2_000;
    this.queues = [...new Set(options.queueNames)];
    for (const [queue, physical] of this.queues.flatMap((queue) => laneQueueNames(queue).map((name) => [queue, name] as const))) {
      const events = new QueueEvents(physical, { connection: options.connection, prefix: queuePrefix(options.prefix ?? DEFAULT_QUEUE_PREFIX, physical) });
      events.on('error', (error) => this.logger.warn({ err: error, queue: physical }, 'queue events error'));
      events.on('waiting', ({ jobId }) => this.emit({ type: 'queued', queue, jobId }));
      events.on('active', ({ jobId }) => this.emit({ type: 'started', queue, jobId }));
      events.on('progress', ({ jobId, data }) => this.emit({ type: 'progress', queue, jobId, progress: progressPercent(data) }));
      events.on('completed', ({ jobId, returnvalue }) => this.emit({ type: 'completed', queue, jobId, returnvalue }));
      events.on('failed', ({ jobId, failedReason }) =>
        this.emit({ type: failureStatus(failedReason), queue, jobId, reason: failedReason }),
      );
      // Custom events are not in QueueEvents' typed listener map; their fields arrive as strings.
      (events as unknown as { on(event: string, listener: (args: Record<string, string>) => void): void }).on(PARTIAL_IMAGE_EVENT, (args) => {
        const imageIndex = Number(args.imageIndex);
        const partialIndex = Number(args.partialIndex);
        if (!args.jobId || !args.key || !Number.isInteger(imageIndex) || !Number.isInteger(partialIndex)) return;
        this.emit({ type: 'partial_image', queue, jobId: args.jobId, partial: { key: args.key, imageIndex, partialIndex } });
      });
      this.events.push(events);
    }
  }

  /** The model queues followed. */
  get queueNames(): string[] {
    return [...this.queues];
  }

  subscribe(listener: JobEventListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  subscribeJob(jobId: string, listener: JobEventListener): () => void {
    let set = this.byJob.get(jobId);
    if (!set) {
      set = new Set();
      this.byJob.set(jobId, set);
    }
    set.add(listener);
    return () => {
      const current = this.byJob.get(jobId);
      if (!current?.delete(listener)) return;
      if (current.size === 0) this.byJob.delete(jobId);
    };
  }

  /** Resolves once every QueueEvents reads its stream: events from then on are seen. */
  async waitUntilReady(): Promise<void> {
    await Promise.all(this.events.map((events) => events.waitUntilReady()));
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.byJob.clear();
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

  private emit(event: JobEvent): void {
    for (const listener of this.listeners) this.deliver(listener, event);
    const forJob = this.byJob.get(event.jobId);
    if (forJob) for (const listener of [...forJob]) this.deliver(listener, event);
  }

  /** One subscriber's fault must not cost the others their event. */
  private deliver(listener: JobEventListener, event: JobEvent): void {
    try {
      listener(event);
    } catch (error) {
      this.logger.error({ err: error, event: event.type, jobId: event.jobId }, 'job event subscriber failed');
    }
  }
}
