import { EngineAbortedError } from '@imageforge/engine-core';

/**
 * One engine run at a time on a device, first come first served, so a worker with several
 * slots keeps its GPU busy: while one job holds the device, the others read inputs, encode
 * and upload. A waiter whose job is aborted leaves the line without ever running.
 */
export class DeviceLock {
  private held = false;
  private readonly waiters: Array<() => void> = [];
  private busyMs = 0;
  private heldSince = 0;

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

  /** Jobs waiting for the device. */
  get waiting(): number {
    return this.waiters.length;
  }

  private acquire(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(new EngineAbortedError());
    if (!this.held) {
      this.take();
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const grant = () => {
        signal.removeEventListener('abort', leave);
        this.take();
        resolve();
      };
      const leave = () => {
        const index = this.waiters.indexOf(grant);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(new EngineAbortedError());
      };
      this.waiters.push(grant);
      signal.addEventListener('abort', leave, { once: true });
    });
  }

  private take(): void {
    this.held = true;
    this.heldSince = this.now();
  }

  private release(): void {
    this.busyMs += this.now() - this.heldSince;
    this.held = false;
    this.waiters.shift()?.();
  }
}
