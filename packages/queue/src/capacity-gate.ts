import { JOB_LANES, type JobLane } from '@imageforge/jobs';

/** Minimum share of contended slot grants per lane, 0–1; lanes left out have none. */
export type LaneShares = Partial<Record<JobLane, number>>;

export interface CapacityGateOptions {
  /** Jobs that may run at once. */
  slots: number;
  /** Default: none, so lanes are served strictly most urgent first. */
  minShares?: LaneShares;
}

/** One lane's view of the gate, what a lane worker needs. */
export interface GateLane {
  readonly lane: JobLane;
  /** Resolves with the slot's release once granted; rejects with the signal's reason if it aborts first. */
  acquire(signal?: AbortSignal): Promise<() => void>;
  /**
   * Jobs this lane should hold at once: its running ones plus the free slots (they start at
   * once), or plus one waiting for the next slot while none is free.
   */
  holdLimit(): number;
  /** Called after each grant or release of any lane (hold limits depend on the free slots); returns the unsubscribe. */
  onChange(listener: () => void): () => void;
}

interface Waiter {
  grant(release: () => void): void;
}

/** Float slack, so ten credits of 0.1 make one. */
const EPSILON = 1e-9;

/**
 * A process's slots shared by lane workers. A free slot goes to the most urgent lane
 * with a job waiting (interactive, then async, then batch), except that a lane with a
 * minimum share takes it when that lane is owed one: deficit round robin, where each
 * contended grant (another lane waiting too) adds the lane's share to its credit, capped
 * at one, and a lane with a whole credit wins and spends it. A lane alone at the gate is
 * served at once and banks nothing, so an idle interactive lane leaves every slot to bulk
 * work and a bulk lane coming back after a quiet spell gets no burst ahead of sync calls.
 */
export class CapacityGate {
  readonly slots: number;
  private readonly minShares: Record<JobLane, number>;
  private readonly running = emptyCounts();
  private readonly credit = emptyCounts();
  private readonly waiting: Record<JobLane, Waiter[]> = { interactive: [], async: [], batch: [] };
  private readonly listeners: Record<JobLane, Set<() => void>> = { interactive: new Set(), async: new Set(), batch: new Set() };
  private inUse = 0;

  constructor(options: CapacityGateOptions) {
    if (!Number.isInteger(options.slots) || options.slots < 1) throw new Error(`a capacity gate needs at least one slot, not ${options.slots}`);
    this.slots = options.slots;
    this.minShares = emptyCounts();
    for (const lane of JOB_LANES) {
      const share = options.minShares?.[lane] ?? 0;
      if (!(share >= 0 && share <= 1)) throw new Error(`the ${lane} lane's minimum share must be between 0 and 1, not ${share}`);
      this.minShares[lane] = share;
    }
    const total = JOB_LANES.reduce((sum, lane) => sum + this.minShares[lane], 0);
    if (total > 1 + EPSILON) throw new Error(`minimum lane shares add up to ${total}, more than all of the capacity`);
  }

  lane(lane: JobLane): GateLane {
    return {
      lane,
      acquire: (signal) => this.acquire(lane, signal),
      holdLimit: () => this.running[lane] + Math.max(1, this.slots - this.inUse),
      onChange: (listener) => {
        this.listeners[lane].add(listener);
        return () => void this.listeners[lane].delete(listener);
      },
    };
  }

  acquire(lane: JobLane, signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.inUse < this.slots) return Promise.resolve(this.take(lane));
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const queue = this.waiting[lane];
        const index = queue.indexOf(waiter);
        if (index >= 0) queue.splice(index, 1);
        reject(signal!.reason);
      };
      const waiter: Waiter = {
        grant: (release) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
      };
      this.waiting[lane].push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Running and waiting jobs per lane, for logs, metrics and tests. */
  snapshot(): { running: Record<JobLane, number>; waiting: Record<JobLane, number> } {
    const waiting = emptyCounts();
    for (const lane of JOB_LANES) waiting[lane] = this.waiting[lane].length;
    return { running: { ...this.running }, waiting };
  }

  private take(lane: JobLane): () => void {
    this.inUse += 1;
    this.running[lane] += 1;
    let released = false;
    this.notify(lane);
    return () => {
      if (released) return;
      released = true;
      this.inUse -= 1;
      this.running[lane] -= 1;
      this.notify(lane);
      this.dispatch();
    };
  }

  private dispatch(): void {
    while (this.inUse < this.slots) {
      const lane = this.choose();
      if (!lane) return;
      this.waiting[lane].shift()!.grant(this.take(lane));
    }
  }

  private choose(): JobLane | undefined {
    const contenders = JOB_LANES.filter((lane) => this.waiting[lane].length > 0);
    if (contenders.length <= 1) return contenders[0];
    for (const lane of contenders) this.credit[lane] = Math.min(1, this.credit[lane] + this.minShares[lane]);
    const owed = contenders.filter((lane) => this.minShares[lane] > 0 && this.credit[lane] >= 1 - EPSILON);
    // Most credit first; JOB_LANES order (most urgent first) breaks ties.
    const winner = owed.reduce<JobLane | undefined>((best, lane) => (best === undefined || this.credit[lane] > this.credit[best] + EPSILON ? lane : best), undefined) ?? contenders[0]!;
    this.credit[winner] = Math.max(0, this.credit[winner] - 1);
    return winner;
  }

  /** Every lane hears of every change: how much a lane may hold depends on the slots left free by all of them. */
  private notify(_changed: JobLane): void {
    for (const lane of JOB_LANES) for (const listener of [...this.listeners[lane]]) listener();
  }
}

function emptyCounts(): Record<JobLane, number> {
  return { interactive: 0, async: 0, batch: 0 };
}
