import { Queue, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { imageJobCatalog, isImageJobName, type ImageJobName, type ImageJobPayload } from '@imageforge/jobs';
import { assertValidJobId, DEFAULT_QUEUE_PREFIX } from './job-id';
import { silentLogger, type QueueLogger } from './queue-logger';
import { RedisUnavailableError } from './redis-unavailable-error';

export interface ImageJobQueueOptions {
  /** A `producer` connection (see createRedisConnection); shared by every queue, closed by its owner. */
  connection: Redis;
  /** Every queue this process may enqueue to (the model registry's queues). */
  queueNames: readonly string[];
  /** BullMQ key prefix. Default `bull`. */
  prefix?: string;
  /**
   * Approximate length the events stream is trimmed to. QueueEvents readers that
   * reconnect resume from their last id and lose whatever was trimmed meanwhile,
   * so keep minutes of events. Default 100 000 (BullMQ's own default is 10 000).
   */
  eventsMaxLen?: number;
  logger?: QueueLogger;
}

export interface EnqueueOptions {
  /** Queue to add to; must be one of `queueNames`. */
  queue: string;
  /** Caller-chosen id, so a waiter can be registered before the job exists. */
  jobId: string;
}

/**
 * The producer side: validates payloads against the job catalog and adds them
 * with the catalog's options. Holds one BullMQ Queue per queue name.
 */
export class ImageJobQueue {
  private readonly queues = new Map<string, Queue>();
  private readonly connection: Redis;

  constructor(options: ImageJobQueueOptions) {
    this.connection = options.connection;
    const logger = options.logger ?? silentLogger;
    for (const name of new Set(options.queueNames)) {
      const queue = new Queue(name, {
        connection: options.connection,
        prefix: options.prefix ?? DEFAULT_QUEUE_PREFIX,
        streams: { events: { maxLen: options.eventsMaxLen ?? 100_000 } },
      });
      queue.on('error', (error) => logger.warn({ err: error, queue: name }, 'image job queue error'));
      this.queues.set(name, queue);
    }
  }

  get queueNames(): string[] {
    return [...this.queues.keys()];
  }

  /** The BullMQ Queue behind `name`, for reads (status, bull-board). */
  queue(name: string): Queue {
    const queue = this.queues.get(name);
    if (!queue) throw new Error(`unknown queue ${name}; known: ${this.queueNames.join(', ')}`);
    return queue;
  }

  /** Resolves once every queue has connected; call before accepting requests. */
  async waitUntilReady(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.waitUntilReady()));
  }

  /**
   * Parses `payload` with the catalog schema (a ZodError leaves nothing queued),
   * then adds it. Throws RedisUnavailableError at once while the connection is down.
   */
  async enqueue<N extends ImageJobName>(name: N, payload: ImageJobPayload<N>, options: EnqueueOptions): Promise<Job> {
    if (!isImageJobName(name)) throw new Error(`unknown image job ${String(name)}`);
    assertValidJobId(options.jobId);
    const queue = this.queue(options.queue);
    const entry = imageJobCatalog[name];
    const data: unknown = entry.payload.parse(payload);
    // Checked here because a queue that has never connected waits for Redis
    // instead of failing, and an offline queue is disabled only once connected.
    if (this.connection.status !== 'ready') {
      throw new RedisUnavailableError(`Redis connection is ${this.connection.status}`);
    }
    return queue.add(name, data, { ...entry.options, jobId: options.jobId });
  }

  getJob(queueName: string, jobId: string): Promise<Job | undefined> {
    return this.queue(queueName).getJob(jobId);
  }

  /** Finds a job by id in any of the queues, for callers that only kept the id. */
  async findJob(jobId: string): Promise<{ queue: Queue; job: Job } | undefined> {
    for (const queue of this.queues.values()) {
      const job = await queue.getJob(jobId);
      if (job) return { queue, job };
    }
    return undefined;
  }

  /** Closes the BullMQ Queues; the shared connection stays open for its owner to quit. */
  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
  }
}
