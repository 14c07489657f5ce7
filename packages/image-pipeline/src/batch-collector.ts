import {
  EngineAbortedError,
  isOutOfMemoryError,
  type EngineBatching,
  type EngineResult,
  type EngineRunOptions,
  type GenerateRequest,
  type ImageEngine,
} from '@imageforge/engine-core';
import { timedOnDevice, type DeviceLock } from './device-lock';

/** A generation waiting for its share of a batch. */
interface Pending {
  collector: BatchCollector;
  key: string;
  request: GenerateRequest;
  options: EngineRunOptions;
  resolve(result: EngineResult): void;
  reject(error: unknown): void;
}

/** A batch whose leader holds the device and waits out the window for more. */
interface OpenBatch {
  key: string;
  members: Pending[];
  images: number;
  full(): void;
}

/**
 * Collects an exclusive engine's generations at its device lock into shared runs. Every call
 * with a key takes its own place in the lock's line; the one granted the device takes every
 * waiting call of its engine with the same key, up to `maxBatch` images, out of the line, and
 * when it found the device idle (nothing queued behind a run to take) it holds the device up to
 * `windowMs` for more, which join without queueing. Then one `generateMany`, each caller getting
 * its own result or error. Callers keep their own signals, so each BullMQ job's processor stays
 * awaiting its own share and its lock goes on being renewed.
 */
export class BatchCollector {
  private open?: OpenBatch;

  constructor(
    private readonly engine: ImageEngine,
    private readonly batching: EngineBatching,
    private readonly lock: DeviceLock,
    private readonly windowMs: number,
  ) {}

  generate(request: GenerateRequest, options: EngineRunOptions): Promise<EngineResult> {
    const key = this.batching.keyOf(request);
    if (key === null || request.n >= this.batching.maxBatch) return this.lock.run(options.signal, () => timedOnDevice(options, () => this.engine.generate(request, options)));
    return new Promise<EngineResult>((resolve, reject) => {
      const entry: Pending = { collector: this, key, request, options, resolve, reject };
      if (!this.join(entry)) void this.queue(entry);
    });
  }

  /** Joins the batch being collected, when it has this key and room. */
  private join(entry: Pending): boolean {
    const open = this.open;
    if (!open || open.key !== entry.key || open.images + entry.request.n > this.batching.maxBatch) return false;
    if (entry.options.signal.aborted) return false;
    open.members.push(entry);
    open.images += entry.request.n;
    if (open.images >= this.batching.maxBatch) open.full();
    return true;
  }

  private async queue(entry: Pending): Promise<void> {
    const idle = !this.lock.busy;
    let granted: boolean;
    try {
      granted = await this.lock.acquire(entry.options.signal, entry);
    } catch (error) {
      entry.reject(error);
      return;
    }
    // False: an earlier holder took this call into its batch, which settles it.
    if (!granted) return;
    try {
      const members = [entry, ...this.takeWaiting(entry.key, this.batching.maxBatch - entry.request.n)];
      const images = members.reduce((sum, m) => sum + m.request.n, 0);
      if (idle && this.windowMs > 0 && images < this.batching.maxBatch) await this.collect(entry.key, members, images);
      await this.runBatch(members);
    } finally {
      this.lock.release();
    }
  }

  /** This collector's calls with `key` waiting in the line, first come first taken, within `room` images. */
  private takeWaiting(key: string, room: number): Pending[] {
    let left = room;
    const taken = this.lock.withdraw((tag) => {
      const pending = tag as Pending;
      if (pending.collector !== this || pending.key !== key || pending.request.n > left || pending.options.signal.aborted) return false;
      left -= pending.request.n;
      return true;
    });
    return taken as Pending[];
  }

  /** Holds the idle device up to the window, or until the batch is full, while calls join. */
  private async collect(key: string, members: Pending[], images: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.open = { key, members, images, full: resolve };
      timer = setTimeout(resolve, this.windowMs);
    });
    clearTimeout(timer);
    this.open = undefined;
  }

  private async runBatch(members: Pending[]): Promise<void> {
    const live = members.filter((member) => {
      if (!member.options.signal.aborted) return true;
      member.reject(new EngineAbortedError());
      return false;
    });
    await this.runShared(live);
  }

  /**
   * One shared run of jobs whose signals were live when it began. A batch the device had no memory
   * for is split in halves, each run again, down to single jobs: a job alone that still runs out
   * fails with that error for BullMQ to retry, maybe on another worker.
   */
  private async runShared(live: Pending[]): Promise<void> {
    const [only] = live;
    if (!only) return;
    if (live.length === 1) {
      await timedOnDevice(only.options, () => this.engine.generate(only.request, only.options)).then(only.resolve, only.reject);
      return;
    }
    const started = performance.now();
    const outcome = await this.batching.generateMany(live.map(({ request, options }) => ({ request, options }))).then(
      (results) => ({ results }),
      (error: unknown) => ({ error }),
    );
    // Each job's share of the device is its share of the batch's images, a failed run's too.
    const heldMs = performance.now() - started;
    const images = live.reduce((sum, member) => sum + member.request.n, 0);
    for (const member of live) member.options.onDeviceTime?.((heldMs * member.request.n) / images);
    if ('error' in outcome) {
      if (isOutOfMemoryError(outcome.error)) {
        const half = Math.ceil(live.length / 2);
        await this.runShared(live.slice(0, half));
        await this.runShared(live.slice(half));
        return;
      }
      for (const member of live) member.reject(outcome.error);
      return;
    }
    const { results } = outcome;
    live.forEach((member, i) => {
      const result = results[i];
      if (result instanceof Error) member.reject(result);
      else if (result) member.resolve(result);
      else member.reject(new Error(`engine ${this.engine.name} returned ${results.length} results for a batch of ${live.length}`));
    });
  }
}
