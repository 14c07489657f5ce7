import type { CancelOutcome, EventCounters, ImageJobCatalog, JobGateway, PaceBook } from '@imageforge/jobs';
import { serverOverloaded } from './image-job-errors';
import { backpressureModels, syncBackpressure } from './sync-backpressure';

export interface SyncCallGuardDeps {
  gateway: Pick<JobGateway<ImageJobCatalog>, 'laneLoad'>;
  /** Measured seconds per image: with it, sync calls whose lane cannot start them within the sync limit get 503. */
  pace?: PaceBook;
  /**
   * CANCEL_ABANDONED_SYNC_JOBS: cancels a job no worker has started (ImageJobQueryService.cancelUnstarted,
   * which also announces it). Absent: a caller that hangs up leaves its job queued.
   */
  cancelAbandoned?: (jobId: string, reason: string) => Promise<CancelOutcome>;
  /** Deployment-wide counts of refusals and abandoned cancels, for GET /metrics. */
  counters?: Pick<EventCounters, 'increment'>;
}

/** What only a plain sync call gets: refused early under overload, and its job dropped when it hangs up before the job starts. */
export class SyncCallGuards {
  constructor(private readonly deps: SyncCallGuardDeps) {}

  /** Throws the 503 `server_is_overloaded` when the interactive lane of `queue` cannot start the call within `syncTimeoutMs`. */
  async refuseIfOverloaded(queue: string, model: string, syncTimeoutMs: number): Promise<void> {
    const { pace } = this.deps;
    if (!pace) return;
    const load = await this.deps.gateway.laneLoad(queue, 'interactive');
    if (load.waiting === 0) return;
    const secondsPerImage = await pace.read(backpressureModels(model, load));
    const verdict = syncBackpressure({ load, model, secondsPerImage, syncTimeoutMs });
    if (verdict.admit) return;
    await this.deps.counters?.increment('overloaded', { queue, lane: 'interactive' }).catch(() => undefined);
    throw serverOverloaded(verdict.retryAfterSeconds);
  }

  /**
   * The caller went away: cancel the job unless a worker has started it (a started one runs on
   * and stays pollable). True when it is cancelled, or is being dropped by the worker holding it.
   * Best-effort: a failure leaves the job queued, as it was before this guard existed.
   */
  async abandon(jobId: string, queue: string): Promise<boolean> {
    if (!this.deps.cancelAbandoned) return false;
    try {
      const outcome = await this.deps.cancelAbandoned(jobId, 'the sync caller disconnected before it started');
      if (outcome !== 'cancelled' && outcome !== 'cancelling') return false;
      await this.deps.counters?.increment('abandoned_cancelled', { queue, lane: 'interactive' });
      return true;
    } catch {
      return false;
    }
  }
}
