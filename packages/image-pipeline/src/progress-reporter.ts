import type { EngineProgress } from '@imageforge/engine-core';

/** Inference fills 0-95%; the rest is encoding and upload, and 100 means the outputs are stored. */
const INFERENCE_SHARE = 95;

export interface ProgressReporter {
  onEngineProgress(progress: EngineProgress): void;
  /** Reports 100 and waits for every report to settle. */
  finish(): Promise<void>;
}

/**
 * Maps engine steps onto job progress. Engines call back synchronously between
 * steps, so reports are sent without waiting and only when the percentage grows
 * (a 50-step run would otherwise cost 50 Redis writes per image). A failed report
 * is not worth failing inference over; it is dropped.
 */
export function createProgressReporter(report: (percent: number) => Promise<void> | void): ProgressReporter {
  let last = -1;
  const pending = new Set<Promise<void>>();

  const send = (percent: number) => {
    if (percent <= last) return;
    last = percent;
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
      send(100);
      await Promise.all(pending);
    },
  };
}
