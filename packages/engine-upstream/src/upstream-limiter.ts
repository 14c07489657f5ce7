import { setTimeout as sleep } from 'node:timers/promises';
import { EngineAbortedError } from '@imageforge/engine-core';

/** Time as the limiter sees it; tests inject one whose `sleep` moves `now`. */
export interface LimiterClock {
  now(): number;
  /** Rejects with EngineAbortedError once `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const systemClock: LimiterClock = {
  now: () => Date.now(),
  sleep: (ms, signal) => sleep(ms, undefined, { signal }).catch((error: unknown) => {
    if (signal.aborted) throw new EngineAbortedError();
    throw error;
  }),
};

export interface UpstreamLimits {
  /** Requests in flight at once; undefined: no limit. */
  maxConcurrency?: number | undefined;
  /** Request starts per minute, spaced evenly; undefined: no limit. */
  requestsPerMinute?: number | undefined;
}

interface Waiter {
  grant(): void;
}

/**
 * What one upstream (base URL + key) lets this process send: a concurrency cap and request
 * starts spaced 60000/rpm ms apart. Even spacing rather than a minute's burst, because
 * upstreams enforce their per-minute limits over shorter windows, and a burst answered with
 * 429s costs more than the spacing. A 429's `retry-after` holds every caller of the upstream
 * off, not only the one that got it: the limit is the key's, whoever hit it.
 */
export class UpstreamLimiter {
  private active = 0;
  private readonly waiting: Waiter[] = [];
  private nextStartAt = 0;
  private heldUntil = 0;
  private readonly intervalMs: number;

  constructor(
    readonly limits: UpstreamLimits,
    private readonly clock: LimiterClock = systemClock,
  ) {
    this.intervalMs = limits.requestsPerMinute ? 60_000 / limits.requestsPerMinute : 0;
  }

  /** Waits for a slot and the next start time; the returned function frees the slot (calling it twice frees one). */
  async acquire(signal: AbortSignal): Promise<() => void> {
    await this.takeSlot(signal);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.freeSlot();
    };
    try {
      await this.waitForStart(signal);
    } catch (error) {
      release();
      throw error;
    }
    return release;
  }

  /** No request starts before `untilMs` (a 429's retry-after). */
  holdOff(untilMs: number): void {
    this.heldUntil = Math.max(this.heldUntil, untilMs);
  }

  /** Requests holding a slot, and callers waiting for one. */
  load(): { active: number; waiting: number } {
    return { active: this.active, waiting: this.waiting.length };
  }

  private takeSlot(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(new EngineAbortedError());
    const max = this.limits.maxConcurrency;
    if (max === undefined || this.active < max) {
      this.active += 1;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        grant: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        const index = this.waiting.indexOf(waiter);
        if (index >= 0) this.waiting.splice(index, 1);
        reject(new EngineAbortedError());
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  private freeSlot(): void {
    // The slot passes straight to the next waiter, so `active` never dips below the cap while callers wait.
    const next = this.waiting.shift();
    if (next) next.grant();
    else this.active -= 1;
  }

  private async waitForStart(signal: AbortSignal): Promise<void> {
    for (;;) {
      if (signal.aborted) throw new EngineAbortedError();
      const now = this.clock.now();
      const startAt = Math.max(now, this.nextStartAt, this.heldUntil);
      if (startAt <= now) {
        this.nextStartAt = now + this.intervalMs;
        return;
      }
      // Another caller may take this start while we sleep (or a 429 may move it): look again on waking.
      await this.clock.sleep(startAt - now, signal);
    }
  }
}
