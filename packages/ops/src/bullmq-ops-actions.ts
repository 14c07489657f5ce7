import type { CancelOutcome, ImageJobCatalog, ImageJobPayload } from '@imageforge/jobs';
import { cancelJob, cancelRequestKey, statusOf, type JobQueue, type LaneQueue, type QueueLogger, type RedisClient } from '@imageforge/queue';
import { OpsActionLog } from './ops-action-log';
import type { JobFilter, OpsActions, QueueTarget } from './ops-views';

/** Cancels one job the way the API's cancel does (webhook, concurrency slot, inputs); absent: the queue's cancel alone. */
export type OpsCancelPort = (jobId: string, reason: string) => Promise<CancelOutcome>;

export interface BullmqOpsActionsOptions {
  queue: JobQueue<ImageJobCatalog>;
  /** A producer connection. */
  connection: RedisClient;
  prefix?: string;
  cancel?: OpsCancelPort;
  logger?: QueueLogger;
  now?: () => number;
}

/** The target names no lane queue. */
export class UnknownQueueTargetError extends Error {
  override readonly name = 'UnknownQueueTargetError';
}

/** Jobs read per page by drain, cancel-matching and retry-failed. */
const PAGE = 500;
/** A bound on how many jobs one matching action touches. */
const MAX_MATCHED = 100_000;
const CANCEL_REASON = 'cancelled by an operator';

/** OpsActions over BullMQ: queue-level pause/resume/clean, job-level retry and cancel, each logged. */
export class BullmqOpsActions implements OpsActions {
  private readonly log: OpsActionLog;
  private readonly now: () => number;

  constructor(private readonly options: BullmqOpsActionsOptions) {
    this.log = new OpsActionLog({ redis: options.connection, ...(options.prefix !== undefined ? { prefix: options.prefix } : {}) });
    this.now = options.now ?? Date.now;
  }

  pause(target: QueueTarget, who: string): Promise<number> {
    return this.logged('pause', targetName(target), who, async () => {
      const lanes = this.lanesOf(target);
      await Promise.all(lanes.map(({ bull }) => bull.pause()));
      return lanes.length;
    });
  }

  resume(target: QueueTarget, who: string): Promise<number> {
    return this.logged('resume', targetName(target), who, async () => {
      const lanes = this.lanesOf(target);
      await Promise.all(lanes.map(({ bull }) => bull.resume()));
      return lanes.length;
    });
  }

  drain(target: QueueTarget, who: string): Promise<number> {
    return this.logged('drain', targetName(target), who, async () => {
      let affected = 0;
      for (const lane of this.lanesOf(target)) affected += await this.cancelWhere(lane, ['wait', 'prioritized', 'delayed'], () => true);
      return affected;
    });
  }

  retryJob(jobId: string, who: string): Promise<number> {
    return this.logged('retry', jobId, who, async () => {
      const found = await this.options.queue.locate(jobId);
      return found ? this.retry(found, jobId) : 0;
    });
  }

  retryFailed(filter: JobFilter, who: string): Promise<number> {
    return this.logged('retry-failed', filterName(filter), who, async () => {
      let affected = 0;
      for (const lane of this.lanesOf(filter)) {
        // Retried jobs leave the failed set, so each page starts at the top again; skipped ones are stepped over.
        let skipped = 0;
        for (let seen = 0; seen < MAX_MATCHED; ) {
          const jobs = (await lane.bull.getJobs(['failed'], skipped, skipped + PAGE - 1, false)).filter(Boolean);
          if (jobs.length === 0) break;
          seen += jobs.length;
          for (const job of jobs) {
            const retried = matchesModel(job.data, filter) && statusOf('failed', job.failedReason) === 'failed' ? await this.retry(lane, job.id!) : 0;
            if (retried === 0) skipped += 1;
            affected += retried;
          }
        }
      }
      return affected;
    });
  }

  cancelJob(jobId: string, who: string): Promise<number> {
    return this.logged('cancel', jobId, who, async () => {
      const outcome = await this.cancelOne(jobId);
      return outcome === 'cancelled' || outcome === 'cancelling' ? 1 : 0;
    });
  }

  cancelMatching(filter: JobFilter, who: string): Promise<number> {
    return this.logged('cancel-matching', filterName(filter), who, async () => {
      let affected = 0;
      for (const lane of this.lanesOf(filter)) affected += await this.cancelWhere(lane, ['wait', 'prioritized', 'delayed', 'active'], (data) => matchesModel(data, filter));
      return affected;
    });
  }

  clean(target: QueueTarget, state: 'completed' | 'failed', olderThanMs: number, who: string): Promise<number> {
    return this.logged(`clean-${state}`, `${targetName(target)} older than ${olderThanMs} ms`, who, async () => {
      let affected = 0;
      for (const { bull } of this.lanesOf(target)) {
        for (let removed = PAGE; removed === PAGE && affected < MAX_MATCHED; ) {
          removed = (await bull.clean(olderThanMs, PAGE, state)).length;
          affected += removed;
        }
      }
      return affected;
    });
  }

  private lanesOf(target: QueueTarget): LaneQueue[] {
    const lanes = this.options.queue.laneQueues.filter((lane) => lane.queue === target.queue && (!target.lane || lane.lane === target.lane));
    if (lanes.length === 0) throw new UnknownQueueTargetError(`no lane queue ${targetName(target)}; known queues: ${this.options.queue.queueNames.join(', ')}`);
    return lanes;
  }

  /** Failed and cancelled jobs run again; a cancel request still recorded would stop the new run at once, so it goes. */
  private async retry(lane: LaneQueue, jobId: string): Promise<number> {
    const job = await lane.bull.getJob(jobId);
    if (!job || (await lane.bull.getJobState(jobId)) !== 'failed') return 0;
    if (statusOf('failed', job.failedReason) === 'expired') return 0;
    await this.options.connection.del(cancelRequestKey(lane.bull, jobId));
    await job.retry('failed');
    return 1;
  }

  private cancelOne(jobId: string): Promise<CancelOutcome> {
    if (this.options.cancel) return this.options.cancel(jobId, CANCEL_REASON);
    return this.options.queue.locate(jobId).then((found) => (found ? cancelJob(found.bull, this.options.connection, jobId, { reason: CANCEL_REASON }) : 'not_found'));
  }

  /** Cancels jobs of the given states page by page; each cancelled job leaves those states, so pages restart at the top. */
  private async cancelWhere(lane: LaneQueue, states: ReadonlyArray<'wait' | 'prioritized' | 'delayed' | 'active'>, matches: (data: unknown) => boolean): Promise<number> {
    let affected = 0;
    const tried = new Set<string>();
    while (tried.size < MAX_MATCHED) {
      const jobs = (await lane.bull.getJobs([...states], 0, tried.size + PAGE - 1, true)).filter((job) => job && !tried.has(job.id!));
      if (jobs.length === 0) break;
      for (const job of jobs) {
        tried.add(job.id!);
        if (!matches(job.data)) continue;
        const outcome = await this.cancelOne(job.id!);
        if (outcome === 'cancelled' || outcome === 'cancelling') affected += 1;
      }
    }
    return affected;
  }

  private async logged(action: string, target: string, who: string, run: () => Promise<number>): Promise<number> {
    const affected = await run();
    const record = { at: this.now(), who, action, target, affected };
    await this.log.append(record);
    this.options.logger?.info(record, 'ops action');
    return affected;
  }
}

function matchesModel(data: unknown, filter: JobFilter): boolean {
  return !filter.model || (data as Partial<ImageJobPayload>).params?.model === filter.model;
}

function targetName(target: QueueTarget): string {
  return target.lane ? `${target.queue}/${target.lane}` : target.queue;
}

function filterName(filter: JobFilter): string {
  return filter.model ? `${targetName(filter)} model ${filter.model}` : targetName(filter);
}
