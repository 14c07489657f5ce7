import { hostname } from 'node:os';
import type { JobLane } from '@imageforge/jobs';
import { DEFAULT_QUEUE_PREFIX, laneQueueName, progressPercent, queuePrefix, type QueueLogger, type RedisClient } from '@imageforge/queue';
import type { WorkerHeartbeat, WorkerState } from './ops-views';
import { WorkerHeartbeatStore } from './worker-heartbeat.store';
import { WorkerJobTracker } from './worker-job-tracker';

export const DEFAULT_HEARTBEAT_INTERVAL_MS = 5_000;

export interface WorkerHeartbeatPublisherOptions {
  redis: RedisClient;
  prefix?: string;
  name: string;
  /** Model queues served. */
  queues: readonly string[];
  lanes: readonly JobLane[];
  intervalMs?: number;
  /** Default: a tracker of its own; feed it the lane workers' job events. */
  tracker?: WorkerJobTracker;
  /** Runs with every beat (sampling lane depths, say); a rejection is logged, never stops the beats. */
  onBeat?: () => Promise<void>;
  logger?: QueueLogger;
  now?: () => number;
}

/**
 * A worker process's heartbeat: written at start (`loading` while engines load), then every
 * interval with its state (`idle`/`busy` by running jobs), current jobs and counts; once more as
 * `draining` when shutdown begins, and deleted when the process closed cleanly. CLIENT LIST
 * cannot say any of this: it knows connections, not jobs or engines.
 */
export class WorkerHeartbeatPublisher {
  readonly tracker: WorkerJobTracker;
  readonly intervalMs: number;
  private readonly store: WorkerHeartbeatStore;
  private readonly now: () => number;
  private readonly startedAt: number;
  private engines: WorkerHeartbeat['engines'] = [];
  private phase: 'loading' | 'ready' | 'draining' = 'loading';
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | undefined;
  /** Models of running jobs, read once per job from its payload. */
  private readonly models = new Map<string, string>();

  constructor(private readonly options: WorkerHeartbeatPublisherOptions) {
    this.now = options.now ?? Date.now;
    this.tracker = options.tracker ?? new WorkerJobTracker(this.now);
    this.intervalMs = options.intervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
    this.store = new WorkerHeartbeatStore({ redis: options.redis, ...(options.prefix !== undefined ? { prefix: options.prefix } : {}) });
    this.startedAt = this.now();
  }

  setEngines(engines: WorkerHeartbeat['engines']): void {
    this.engines = engines;
  }

  /** Engines are loaded: the state follows the running jobs from now on. */
  ready(): void {
    if (this.phase === 'loading') this.phase = 'ready';
  }

  /** Publishes at once, then every interval. */
  async start(): Promise<void> {
    await this.beat();
    this.timer ??= setInterval(() => void this.beat(), this.intervalMs);
    this.timer.unref();
  }

  /** One heartbeat (and the onBeat work); failures are logged, so a Redis outage only makes the worker look lost. */
  beat(): Promise<void> {
    this.beating ??= this.publishOnce().finally(() => {
      this.beating = undefined;
    });
    return this.beating;
  }

  /** Shutdown began: published as `draining` until the process closes. */
  async drain(): Promise<void> {
    this.phase = 'draining';
    await this.beat();
  }

  /** Stops the beats; `clean` (the process closed as planned) also deletes the heartbeat. */
  async close(clean = true): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.beating;
    if (clean) await this.store.remove(this.options.name).catch((error: unknown) => this.options.logger?.warn({ err: error }, 'removing the worker heartbeat failed'));
  }

  /** The heartbeat as it would be published now. */
  async snapshot(): Promise<WorkerHeartbeat> {
    const running = this.tracker.current();
    const details = await Promise.all(running.map((run) => this.jobDetails(run.queue, run.lane, run.jobId)));
    const live = new Set(running.map((run) => run.jobId));
    for (const jobId of this.models.keys()) if (!live.has(jobId)) this.models.delete(jobId);
    const state: WorkerState = this.phase === 'loading' ? 'loading' : this.phase === 'draining' ? 'draining' : running.length > 0 ? 'busy' : 'idle';
    return {
      name: this.options.name,
      host: hostname(),
      pid: process.pid,
      startedAt: this.startedAt,
      queues: [...this.options.queues],
      lanes: [...this.options.lanes],
      engines: this.engines,
      state,
      currentJobs: running.map((run, index) => ({ jobId: run.jobId, queue: run.queue, lane: run.lane, model: details[index]!.model, progress: details[index]!.progress, startedAt: run.startedAt })),
      done: this.tracker.done,
      failed: this.tracker.failed,
      heartbeatAt: this.now(),
      intervalMs: this.intervalMs,
    };
  }

  private async publishOnce(): Promise<void> {
    try {
      await this.store.publish(await this.snapshot());
    } catch (error) {
      this.options.logger?.warn({ err: error }, 'worker heartbeat failed');
    }
    if (this.options.onBeat) await this.options.onBeat().catch((error: unknown) => this.options.logger?.warn({ err: error }, 'heartbeat sampling failed'));
  }

  /** Progress from the job hash (BullMQ keeps it there), the model from the payload once. */
  private async jobDetails(queue: string, lane: JobLane, jobId: string): Promise<{ model: string; progress: number }> {
    const laneQueue = laneQueueName(queue, lane);
    const key = `${queuePrefix(this.options.prefix ?? DEFAULT_QUEUE_PREFIX, laneQueue)}:${laneQueue}:${jobId}`;
    const known = this.models.get(jobId);
    const [progress, data] = await this.options.redis.hmget(key, 'progress', ...(known ? [] : ['data']));
    let model = known ?? '';
    if (!known && data) {
      model = String((JSON.parse(data) as { params?: { model?: unknown } }).params?.model ?? '');
      this.models.set(jobId, model);
    }
    return { model, progress: progressPercent(progress ? (JSON.parse(progress) as unknown) : 0) };
  }
}
