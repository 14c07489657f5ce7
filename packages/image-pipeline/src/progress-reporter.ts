import type { EngineProgress } from '@imageforge/engine-core';

/** Inference fills 0-95%; the rest is encoding and upload, and 100 means the outputs are stored. */
const INFERENCE_SHARE = 95;

export interface ProgressReporter {
  onEngineProgress(progress: EngineProgress): void;
  /** Waits for every report to settle; completion itself means 100. */
  finish(): Promise<void>;
}

export interface ProgressReporterOptions {
  /** Least time between two reports, and before the first one. Default 250 ms. */
  minIntervalMs?: number;
  /** Milliseconds, monotonic. Default: performance.now. */
  clock?: () => number;
}

/**
 * Maps engine steps onto job progress. Engines call back synchronously between
 * steps, so reports are sent without waiting, only when the percentage grows, and
 * at most every `minIntervalMs`, starting one interval in: each report is a Redis
 * write and an event every API process reads, so a job done sooner (a batch line on
 * a fast engine) sends none, and its completion says 100. A failed report is not worth
 * failing inference over; it is dropped.
 */
export function createProgressReporter(report: (percent: number) => Promise<void> | void, options: ProgressReporterOptions = {}): ProgressReporter {
  const minIntervalMs = options.minIntervalMs ?? 250;
  const clock = options.clock ?? (() => performance.now());
  let last = -1;
  let lastAt = clock();
  const pending = new Set<Promise<void>>();

  const send = (percent: number) => {
    if (percent <= last) return;
    const now = clock();
    if (now - lastAt < minIntervalMs) return;
    last = percent;
    lastAt = now;
    const sent = Promise.resolve()
      .then(() => report(percent))
      .catch(() => undefined)
      .finally(() => pending.delete(sent));
    pending.add(sent);
  };

  return {
    onEngineProgress({ step, total }) {
      if (total <= 0) return;
      send(Math.floor((Math.min(step, total) / total) * INFERENCE_SHARE));
    },
    async finish() {
      await Promise.all(pending);
    },
  };
}
