import type { ImageJobCatalog, JobSettledHook } from '@imageforge/jobs';
import type { BatchPhaseQueue } from './batch-phase-queue';
import type { BatchStore } from './batch-store';
import { lineOutcomeOf } from './batch-record';

/**
 * The worker's settled hook for image jobs: a batch line's outcome is counted in its
 * batch before BullMQ records it, and the line that completes the batch queues its
 * finalize. A worker that dies in between runs the job again; the count does not move
 * twice, and the finalize is asked for again.
 */
export function batchLineTally(deps: { store: BatchStore; phases: BatchPhaseQueue }): JobSettledHook<ImageJobCatalog> {
  return async ({ payload, outcome }) => {
    if (!payload.batch) return;
    const usage = outcome.status === 'succeeded' && outcome.result.usage
      ? { inputTokens: outcome.result.usage.input_tokens, outputTokens: outcome.result.usage.output_tokens }
      : undefined;
    const { readyToFinalize } = await deps.store.tally(payload.batch.id, [payload.batch.line], lineOutcomeOf(outcome.status), usage);
    if (readyToFinalize) await deps.phases.finalize(payload.batch.id);
  };
}
