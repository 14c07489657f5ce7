import type { JobLane } from '@imageforge/jobs';
import type { WorkerJobEvent } from '@imageforge/queue';

/** A job this process is running, or ran last. */
export interface TrackedRun {
  jobId: string;
  /** The model queue. */
  queue: string;
  lane: JobLane;
  /** When it got its slot. */
  startedAt: number;
  /** 1 on the first run. */
  attempt: number;
  /** The error of a failed attempt, with its stack. */
  error?: Error;
}

/** Ended runs remembered for the settled hook, which runs after the `failed` and `cancelled` events. */
const ENDED_KEPT = 1_000;

/**
 * What a worker process runs now, from its lane workers' job events: the heartbeat lists it,
 * and the settled hook reads a run's start and error from it (events carry neither payload
 * nor the hook's timing).
 */
export class WorkerJobTracker {
  private readonly running = new Map<string, TrackedRun>();
  private readonly ended = new Map<string, TrackedRun>();
  done = 0;
  failed = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Feed of a lane worker's `onJobEvent`; `queue` is the model queue. */
  onJobEvent(queue: string, lane: JobLane, event: WorkerJobEvent): void {
    if (event.type === 'started') {
      this.running.set(event.jobId, { jobId: event.jobId, queue, lane, startedAt: this.now(), attempt: event.attempt });
      return;
    }
    const run = this.running.get(event.jobId);
    if (event.type === 'completed') this.done += 1;
    // Endings without a result count as failed, except a cancel (asked for) and a hand-back (runs elsewhere).
    if ((event.type === 'failed' && !event.willRetry) || event.type === 'expired') this.failed += 1;
    if (!run) return;
    this.running.delete(event.jobId);
    this.ended.set(event.jobId, event.type === 'failed' ? { ...run, error: event.error } : run);
    if (this.ended.size > ENDED_KEPT) this.ended.delete(this.ended.keys().next().value!);
  }

  /** The run of a job now running or just ended here; undefined when it never started in this process. */
  runOf(jobId: string): TrackedRun | undefined {
    return this.running.get(jobId) ?? this.ended.get(jobId);
  }

  current(): TrackedRun[] {
    return [...this.running.values()];
  }
}
