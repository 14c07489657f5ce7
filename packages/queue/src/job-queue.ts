import { Queue, type Job } from 'bullmq';
import type { EnqueueRequest, JobCatalog, JobName, JobPayload } from '@imageforge/jobs';
import { defaultLanePolicy, type LanePolicy } from './lane-policy';
import { assertValidJobId, DEFAULT_QUEUE_PREFIX, queuePrefix } from './queue-keys';
import { silentLogger, type QueueLogger } from './queue-logger';
import type { RedisClient } from './redis-connection';
import { RedisUnavailableError } from './redis-unavailable-error';

export interface JobQueueOptions<C extends JobCatalog> {
  /** The jobs this producer may add. */
  catalog: C;
  /** A `producer` connection (see createRedisConnection); shared by every queue, closed by its owner. */
  connection: RedisClient;
  /** Every queue this process may enqueue to. */
  queueNames: readonly string[];
  /** Base of each queue's hash-tagged key prefix. Default `bull`. */
  prefix?: string;
  /**
   * Approximate length the events stream is trimmed to. QueueEvents readers that
   * reconnect resume from their last id and lose whatever was trimmed meanwhile,
   * so keep minutes of events. Default 100 000 (BullMQ's own default is 10 000).
   */
  eventsMaxLen?: number;
  /** Default: sync and async unprioritized, batch behind them. */
  lanePolicy?: LanePolicy;
  logger?: QueueLogger;
}

/** Events stream length the producers set and the worker's custom events trim to. */
export const DEFAULT_EVENTS_MAX_LEN = 100_000;

/**
 * The producer side for one catalog: validates payloads against it and adds them
 * with its options. Holds one BullMQ Queue per queue name.
 */
export class JobQueue<C extends JobCatalog> {
  readonly catalog: C;
  private readonly queues = new Map<string, Queue>();
  private readonly connection: RedisClient;
  private readonly lanePolicy: LanePolicy;

  constructor(options: JobQueueOptions<C>) {
    this.catalog = options.catalog;
    this.connection = options.connection;
    this.lanePolicy = options.lanePolicy ?? defaultLanePolicy;
    const logger = options.logger ?? silentLogger;
    for (const name of new Set(options.queueNames)) {
      const queue = new Queue(name, {
        connection: options.connection,
        prefix: queuePrefix(options.prefix ?? DEFAULT_QUEUE_PREFIX, name),
        streams: { events: { maxLen: options.eventsMaxLen ?? DEFAULT_EVENTS_MAX_LEN } },
      });
      queue.on('error', (error) => logger.warn({ err: error, queue: name }, 'job queue error'));
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
   * Parses the payload with the catalog (a ZodError leaves nothing queued), then adds
   * it. Throws RedisUnavailableError at once while the connection is down.
   */
  async enqueue<N extends JobName<C>>(request: EnqueueRequest<C, N>): Promise<Job> {
    const definition = this.catalog[request.name];
    if (!definition) throw new Error(`unknown job ${String(request.name)}`);
    assertValidJobId(request.jobId);
    const queue = this.queue(request.queue);
    const data: unknown = definition.payload.parse(request.payload);
    // Checked here because a queue that has never connected waits for Redis
    // instead of failing, and an offline queue is disabled only once connected.
    if (this.connection.status !== 'ready') {
      throw new RedisUnavailableError(`Redis connection is ${this.connection.status}`);
    }
    const priority = request.priority ?? this.lanePolicy(request.lane ?? 'interactive');
    return queue.add(request.name, data, {
      ...definition.options,
      jobId: request.jobId,
      ...(priority !== undefined ? { priority } : {}),
      ...(request.delay !== undefined ? { delay: request.delay } : {}),
    });
  }

  /**
   * Adds many jobs with one addBulk per queue. Every payload is parsed before anything
   * is added, so a bad one leaves none queued.
   */
  async enqueueBulk(requests: readonly EnqueueRequest<C>[]): Promise<void> {
    const byQueue = new Map<string, { name: string; data: unknown; opts: Record<string, unknown> }[]>();
    for (const request of requests) {
      const definition = this.catalog[request.name];
      if (!definition) throw new Error(`unknown job ${String(request.name)}`);
      assertValidJobId(request.jobId);
      this.queue(request.queue);
      const priority = request.priority ?? this.lanePolicy(request.lane ?? 'interactive');
      const bulk = byQueue.get(request.queue) ?? [];
      bulk.push({
        name: request.name,
        data: definition.payload.parse(request.payload),
        opts: {
          ...definition.options,
          jobId: request.jobId,
          ...(priority !== undefined ? { priority } : {}),
          ...(request.delay !== undefined ? { delay: request.delay } : {}),
        },
      });
      byQueue.set(request.queue, bulk);
    }
    if (this.connection.status !== 'ready') throw new RedisUnavailableError(`Redis connection is ${this.connection.status}`);
    for (const [name, jobs] of byQueue) await this.queue(name).addBulk(jobs);
  }

  /**
   * Adds or updates a repeating job under a fixed scheduler id: every process may call it
   * at start, and Redis keeps one schedule (BullMQ job schedulers).
   */
  async schedule<N extends JobName<C>>(request: { queue: string; name: N; schedulerId: string; everyMs: number; payload: JobPayload<C, N> }): Promise<void> {
    const definition = this.catalog[request.name]!;
    const data: unknown = definition.payload.parse(request.payload);
    await this.queue(request.queue).upsertJobScheduler(request.schedulerId, { every: request.everyMs }, { name: request.name, data, opts: { ...definition.options } });
  }

  /** Finds a job by id in any of the queues, for callers that only kept the id. */
  async findJob(jobId: string): Promise<{ queue: Queue; job: Job } | undefined> {
    for (const queue of this.queues.values()) {
      const job = await queue.getJob(jobId);
      if (job) return { queue, job };
    }
    return undefined;
  }

  /** Which of `jobIds` some queue still holds, one pipelined EXISTS per queue. */
  async existingJobIds(jobIds: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (const queue of this.queues.values()) {
      const remaining = jobIds.filter((jobId) => !found.has(jobId));
      if (remaining.length === 0) break;
      const pipeline = this.connection.pipeline();
      for (const jobId of remaining) pipeline.exists(queue.toKey(jobId));
      const replies = (await pipeline.exec()) ?? [];
      replies.forEach(([error, count], index) => {
        if (error) throw error;
        if (count === 1) found.add(remaining[index]!);
      });
    }
    return found;
  }

  /** Closes the BullMQ Queues; the shared connection stays open for its owner to quit. */
  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
  }
}
