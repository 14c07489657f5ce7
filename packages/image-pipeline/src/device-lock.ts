import { EngineAbortedError, type EngineRunOptions } from '@imageforge/engine-core';

/**
 * One engine run at a time on a device, first come first served, so a worker with several
 * slots keeps its GPU busy: while one job holds the device, the others read inputs, encode
 * and upload. A waiter whose job is aborted leaves the line without ever running.
 */
interface Waiter {
  /** What the caller joined the line as; `withdraw` picks by it. */
  tag: unknown;
  grant(): void;
  withdrawn(): void;
}

export class DeviceLock {
  private held = false;
  private readonly waiters: Waiter[] = [];
  private busyMs = 0;
  private heldSince = 0;
  private holds = 0;

  constructor(private readonly now: () => number = () => performance.now()) {}

  async run<T>(signal: AbortSignal, work: () => Promise<T>): Promise<T> {
    await this.acquire(signal);
    try {
      return await work();
    } finally {
      this.release();
    }
  }

  /** Milliseconds the device has been held, the current hold included: engine-busy time. */
  get busyTimeMs(): number {
    return this.busyMs + (this.held ? this.now() - this.heldSince : 0);
  }

  /** Times the device was taken: engine calls, a shared batch counting once. */
  get runs(): number {
    return this.holds;
  }

  /** Jobs waiting for the device. */
  get waiting(): number {
    return this.waiters.length;
  }

  /** Whether a run holds the device (a caller that finds it free gets it at once). */
  get busy(): boolean {
    return this.held;
  }

  /**
   * Joins the line: true once the device is the caller's (it must `release()` it), false when
   * the holder took this place out of the line with `withdraw`. Rejects with EngineAbortedError
   * when `signal` aborts first.
   */
  acquire(signal: AbortSignal, tag?: unknown): Promise<boolean> {
    if (signal.aborted) return Promise.reject(new EngineAbortedError());
    if (!this.held) {
      this.take();
      return Promise.resolve(true);
    }
    return new Promise<boolean>((resolve, reject) => {
      const waiter: Waiter = {
        tag,
        grant: () => {
          signal.removeEventListener('abort', leave);
          this.take();
          resolve(true);
        },
        withdrawn: () => {
          signal.removeEventListener('abort', leave);
          resolve(false);
        },
      };
      const leave = () => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(new EngineAbortedError());
      };
      this.waiters.push(waiter);
      signal.addEventListener('abort', leave, { once: true });
    });
  }

  /**
   * Takes the waiters whose tag `pick` accepts out of the line, asked in line order, and returns
   * their tags; their `acquire` resolves false. The holder uses it to run them in its own turn.
   */
  withdraw(pick: (tag: unknown) => boolean): unknown[] {
    const taken: Waiter[] = [];
    for (const waiter of [...this.waiters]) {
      if (waiter.tag === undefined || !pick(waiter.tag)) continue;
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      taken.push(waiter);
    }
    for (const waiter of taken) waiter.withdrawn();
    return taken.map((waiter) => waiter.tag);
  }

  /** Hands the device to the next in line. */
  release(): void {
    this.busyMs += this.now() - this.heldSince;
    this.held = false;
    this.waiters.shift()?.grant();
  }

  private take(): void {
    this.held = true;
    this.heldSince = this.now();
    this.holds += 1;
  }
}

/** Runs `run` (which holds the device) and tells `onDeviceTime` how long it took, failed runs too. */
export async function timedOnDevice<T>(options: EngineRunOptions, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await run();
  } finally {
    options.onDeviceTime?.(performance.now() - started);
  }
}
