import { Queue, type Job } from 'bullmq';
import { JOB_LANES, type EnqueueRequest, type JobCatalog, type JobLane, type JobName, type JobOptions, type JobPayload } from '@imageforge/jobs';
import { assertDistinctLaneQueues, laneQueueName } from './lane-queues';
import { reserveOwnerPriorities } from './owner-priorities';
import { assertValidJobId, DEFAULT_QUEUE_PREFIX, queuePrefix } from './queue-keys';
import { silentLogger, type QueueLogger } from './queue-logger';
import type { RedisClient } from './redis-connection';
import { RedisUnavailableError } from './redis-unavailable-error';

export interface JobQueueOptions<C extends JobCatalog> {
  /** The jobs this producer may add. */
  catalog: C;
  /** A `producer` connection (see createRedisConnection); shared by every queue, closed by its owner. */
  connection: RedisClient;
  /** Every model queue this process may enqueue to; each has a BullMQ queue per lane. */
  queueNames: readonly string[];
  /** Base of each queue's hash-tagged key prefix. Default `bull`. */
  prefix?: string;
  /**
   * Approximate length the events stream is trimmed to. QueueEvents readers that
   * reconnect resume from their last id and lose whatever was trimmed meanwhile,
   * so keep minutes of events. Default 100 000 (BullMQ's own default is 10 000).
   */
  eventsMaxLen?: number;
  /**
   * Lanes this producer adds to and reads. Default: every lane. A job family without lanes
   * (maintenance, webhooks) passes `['interactive']`, so no empty lane queues appear in Redis.
   */
  lanes?: readonly JobLane[];
  /** How long finished jobs stay, in place of the catalog's (RETENTION_OUTPUT_HOURS); a request's own `retention` still wins. */
  retention?: Pick<JobOptions, 'removeOnComplete' | 'removeOnFail'>;
  logger?: QueueLogger;
}

/** One lane of a model queue and the BullMQ queue that holds it. */
export interface LaneQueue {
  /** The model queue, as records and events name it. */
  queue: string;
  lane: JobLane;
  bull: Queue;
}

/** BullMQ's job counts by state for one lane queue. */
export interface LaneJobCounts {
  queue: string;
  lane: JobLane;
  counts: Record<string, number>;
}

/** Lanes whose jobs always carry a per-owner priority (see owner-priorities). */
const FAIR_LANES: ReadonlySet<JobLane> = new Set(['batch']);

/** Events stream length the producers set and the worker's custom events trim to. */
export const DEFAULT_EVENTS_MAX_LEN = 100_000;

/**
 * The producer side for one catalog: validates payloads against it and adds them
 * with its options. Holds one BullMQ Queue per lane of each model queue and routes
 * each job by its lane; the batch lane's jobs get per-owner priorities.
 */
export class JobQueue<C extends JobCatalog> {
  readonly catalog: C;
  /** Model queue -> lane -> its BullMQ queue. */
  private readonly queues = new Map<string, Map<JobLane, Queue>>();
  private readonly connection: RedisClient;
  private readonly retention: JobQueueOptions<C>['retention'];

  constructor(options: JobQueueOptions<C>) {
    this.catalog = options.catalog;
    this.connection = options.connection;
    this.retention = options.retention;
    const logger = options.logger ?? silentLogger;
    assertDistinctLaneQueues(options.queueNames);
    for (const name of new Set(options.queueNames)) {
      const lanes = new Map<JobLane, Queue>();
      for (const lane of options.lanes ?? JOB_LANES) {
        const physical = laneQueueName(name, lane);
        const queue = new Queue(physical, {
          connection: options.connection,
          prefix: queuePrefix(options.prefix ?? DEFAULT_QUEUE_PREFIX, physical),
          streams: { events: { maxLen: options.eventsMaxLen ?? DEFAULT_EVENTS_MAX_LEN } },
        });
        queue.on('error', (error) => logger.warn({ err: error, queue: physical }, 'job queue error'));
        lanes.set(lane, queue);
      }
      this.queues.set(name, lanes);
    }
  }

  /** The model queues. */
  get queueNames(): string[] {
    return [...this.queues.keys()];
  }

  /** Every lane queue of every model queue, most urgent lane first within each. */
  get laneQueues(): LaneQueue[] {
    return [...this.queues].flatMap(([queue, lanes]) => [...lanes].map(([lane, bull]) => ({ queue, lane, bull })));
  }

  /** The BullMQ Queue holding one lane of `name` (default the interactive lane), for reads and bull-board. */
  queue(name: string, lane: JobLane = 'interactive'): Queue {
    const queue = this.queues.get(name)?.get(lane);
    if (!queue) throw new Error(`unknown queue ${name} (lane ${lane}); known: ${this.queueNames.join(', ')}`);
    return queue;
  }

  /** Resolves once every queue has connected; call before accepting requests. */
  async waitUntilReady(): Promise<void> {
    await Promise.all(this.laneQueues.map(({ bull }) => bull.waitUntilReady()));
  }

  /**
   * Parses the payload with the catalog (a ZodError leaves nothing queued), then adds it
   * to its lane's queue. Throws RedisUnavailableError at once while the connection is down.
   */
  async enqueue<N extends JobName<C>>(request: EnqueueRequest<C, N>): Promise<Job> {
    const [prepared] = this.prepare([request]);
    this.assertConnected();
    const [job] = await this.add(prepared!.queue, [prepared!]);
    return job!;
  }

  /**
   * Adds many jobs with one addBulk per lane queue, after one priority reservation per
   * fair lane queue covering every owner in the call. Every payload is parsed before
   * anything is added, so a bad one leaves none queued.
   */
  async enqueueBulk(requests: readonly EnqueueRequest<C>[]): Promise<void> {
    const byQueue = new Map<Queue, Prepared[]>();
    for (const prepared of this.prepare(requests)) {
      const jobs = byQueue.get(prepared.queue);
      if (jobs) jobs.push(prepared);
      else byQueue.set(prepared.queue, [prepared]);
    }
    this.assertConnected();
    for (const [queue, jobs] of byQueue) await this.add(queue, jobs);
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

  /**
   * The lane queue holding `jobId`, or undefined: one EXISTS per lane queue, sent at once
   * (separate commands rather than a pipeline, since the queues sit in different Cluster slots).
   */
  async locate(jobId: string): Promise<LaneQueue | undefined> {
    const lanes = this.laneQueues;
    const found = await Promise.all(lanes.map(({ bull }) => this.connection.exists(bull.toKey(jobId))));
    return lanes[found.findIndex((count) => count === 1)];
  }

  /** Finds a job by id in any lane of any queue, for callers that only kept the id. */
  async findJob(jobId: string): Promise<{ queue: Queue; job: Job } | undefined> {
    for (const { bull } of this.laneQueues) {
      const job = await bull.getJob(jobId);
      if (job) return { queue: bull, job };
    }
    return undefined;
  }

  /** Which of `jobIds` some lane queue still holds, one pipelined EXISTS per lane queue. */
  async existingJobIds(jobIds: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (const { bull } of this.laneQueues) {
      const remaining = jobIds.filter((jobId) => !found.has(jobId));
      if (remaining.length === 0) break;
      const pipeline = this.connection.pipeline();
      for (const jobId of remaining) pipeline.exists(bull.toKey(jobId));
      const replies = (await pipeline.exec()) ?? [];
      replies.forEach(([error, count], index) => {
        if (error) throw error;
        if (count === 1) found.add(remaining[index]!);
      });
    }
    return found;
  }

  /** Job counts by BullMQ state for every lane queue, for metrics. Throws while Redis is down. */
  laneJobCounts(): Promise<LaneJobCounts[]> {
    return Promise.all(this.laneQueues.map(async ({ queue, lane, bull }) => ({ queue, lane, counts: await bull.getJobCounts() })));
  }

  /** Closes the BullMQ Queues; the shared connection stays open for its owner to quit. */
  async close(): Promise<void> {
    await Promise.all(this.laneQueues.map(({ bull }) => bull.close()));
  }

  /** Parses and routes every request before anything is added. */
  private prepare(requests: readonly EnqueueRequest<C>[]): Prepared[] {
    return requests.map((request) => {
      const definition = this.catalog[request.name];
      if (!definition) throw new Error(`unknown job ${String(request.name)}`);
      assertValidJobId(request.jobId);
      const lane = request.lane ?? 'interactive';
      const queue = this.queue(request.queue, lane);
      const data: unknown = definition.payload.parse(request.payload);
      return {
        queue,
        fair: FAIR_LANES.has(lane) && request.priority === undefined,
        owner: request.owner,
        name: request.name,
        data,
        opts: {
          ...definition.options,
          ...this.retention,
          ...request.retention,
          jobId: request.jobId,
          ...(request.priority !== undefined ? { priority: request.priority } : {}),
          ...(request.delay !== undefined ? { delay: request.delay } : {}),
        },
      };
    });
  }

  /** Checked before adding because a queue that has never connected waits for Redis instead of failing. */
  private assertConnected(): void {
    if (this.connection.status !== 'ready') throw new RedisUnavailableError(`Redis connection is ${this.connection.status}`);
  }

  private async add(queue: Queue, jobs: Prepared[]): Promise<Job[]> {
    const fair = jobs.filter((job) => job.fair);
    const priorities = fair.length > 0 ? await reserveOwnerPriorities(this.connection, queue, fair.map((job) => job.owner)) : [];
    fair.forEach((job, index) => {
      job.opts.priority = priorities[index];
    });
    const entries = jobs.map(({ name, data, opts }) => ({ name, data, opts }));
    return entries.length === 1 ? [await queue.add(entries[0]!.name, entries[0]!.data, entries[0]!.opts)] : queue.addBulk(entries);
  }
}

interface Prepared {
  queue: Queue;
  /** Gets a per-owner priority when added. */
  fair: boolean;
  owner: string | undefined;
  name: string;
  data: unknown;
  opts: Record<string, unknown>;
}
