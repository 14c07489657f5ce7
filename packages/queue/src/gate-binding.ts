import type { Worker } from 'bullmq';
import type { GateLane } from './capacity-gate';
import { ABORT_REASON_SHUTDOWN } from './job-processor';

/**
 * Ties one BullMQ worker to its lane of a capacity gate. A job the worker took is
 * `active` in Redis while it waits at the gate, where no idle host can take it, so the
 * worker holds only what its lane runs plus the free slots, or plus one job waiting for
 * the next slot while none is free: BullMQ's concurrency follows the gate after every
 * grant and release. That waiting job is what lets a freed slot go to the most urgent
 * lane at once instead of a round trip later.
 */
export class GateBinding {
  private worker: Worker | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly waiting = new Set<string>();
  private closing = false;

  constructor(
    private readonly gate: GateLane,
    /** The most jobs the worker may hold at once, whatever the gate says. */
    private readonly maxConcurrency: number,
  ) {}

  concurrency(): number {
    return Math.max(1, Math.min(this.maxConcurrency, this.gate.holdLimit()));
  }

  /** The processor's `acquireSlot`. */
  readonly acquireSlot = async (jobId: string, signal: AbortSignal): Promise<() => void> => {
    // Taken while the worker closes: hand it straight back rather than run it late.
    if (this.closing) this.worker?.cancelJob(jobId, ABORT_REASON_SHUTDOWN);
    this.waiting.add(jobId);
    try {
      return await this.gate.acquire(signal);
    } finally {
      this.waiting.delete(jobId);
    }
  };

  attach(worker: Worker): void {
    this.worker = worker;
    this.unsubscribe = this.gate.onChange(() => this.follow());
  }

  /** At close: jobs still waiting go back to the queue for another host, before they start here. */
  handBackWaiting(): void {
    this.closing = true;
    for (const jobId of this.waiting) this.worker?.cancelJob(jobId, ABORT_REASON_SHUTDOWN);
  }

  detach(): void {
    this.unsubscribe?.();
  }

  private follow(): void {
    const worker = this.worker;
    if (!worker) return;
    const next = this.concurrency();
    const raised = next > worker.concurrency;
    worker.concurrency = next;
    if (raised) wakeMainLoop(worker);
  }
}

/**
 * BullMQ's main loop, once it holds `concurrency` jobs, waits for one of them to settle
 * before it reads `concurrency` again, so a raise would wait a whole job run. Its own
 * `resume()` wakes the loop by adding a settled promise to the loop's queue; this does the
 * same. The field is BullMQ's (pinned 6.7.0); without it the raise applies a job later.
 */
function wakeMainLoop(worker: Worker): void {
  (worker as unknown as { mainLoopQueue?: { add(promise: Promise<unknown>): void } | null }).mainLoopQueue?.add(Promise.resolve());
}
