import { FINAL_BATCH_STATUSES } from '@imageforge/contracts';
import { outcomeOf } from '@imageforge/jobs';
import type { BatchPhaseDeps } from './batch-deps';
import { finalizeIfReady } from './batch-events';
import { lineJobId } from './batch-ids';
import { lineOutcomeOf, type BatchStop } from './batch-record';
import { MAX_INPUT_LINE_BYTES } from './input-file-scan';
import { jsonlLines } from './jsonl-lines';

const CANCEL_CHUNK = 200;

/** Thrown while an expansion has not yet seen the stop; the queue retries the phase. */
export class ExpansionStillRunningError extends Error {
  override readonly name = 'ExpansionStillRunningError';
}

/**
 * Phase 3 (only when a batch is cancelled or its window closes): waits for expansion to
 * stop, cancels every line job that has not started, lets running ones be aborted, and
 * counts lines never queued. Lines already done keep their results. Each step is
 * idempotent, so a stop cut short simply runs again.
 */
export async function stopBatch(deps: BatchPhaseDeps, batchId: string, reason: BatchStop): Promise<string> {
  let record = await deps.store.get(batchId);
  if (!record || FINAL_BATCH_STATUSES.has(record.status)) return 'skipped';
  if (reason === 'expire') {
    // A batch already finalizing finishes as completed; a cancel under way keeps its reason.
    if (record.status === 'finalizing' || record.stop === 'cancel') return 'skipped';
    if (!record.stop && !(await deps.store.transition(batchId, ['validating', 'in_progress'], { stop: 'expire' }))) return 'skipped';
  }
  record = await waitForExpansion(deps, batchId);

  const unsettled: number[] = [];
  const cancelledLines: number[] = [];
  const flush = async () => {
    const bits = await deps.store.settled(batchId, unsettled);
    const open = unsettled.filter((_, index) => !bits[index]);
    unsettled.length = 0;
    const outcomes = await Promise.all(open.map(async (line) => ({ line, outcome: await deps.lineJobs.cancel(lineJobId(batchId, line)) })));
    for (const { line, outcome } of outcomes) {
      if (outcome === 'cancelled' || outcome === 'not_found') cancelledLines.push(line);
      // A job that ended without its worker tallying it (it stalled too often): count what it recorded.
      else if (outcome === 'already_finished') await tallyFinished(deps, batchId, line);
    }
    await deps.store.tally(batchId, cancelledLines.splice(0), 'cancelled');
  };

  const file = await deps.files.retrieve(record.owner, record.inputFileId);
  if (file) {
    for await (const entry of jsonlLines(await deps.storage.getStream(file.key), MAX_INPUT_LINE_BYTES)) {
      unsettled.push(entry.line);
      if (unsettled.length >= CANCEL_CHUNK) await flush();
    }
  }
  await flush();
  await finalizeIfReady(deps, batchId);
  return reason === 'cancel' ? 'cancelled' : 'expired';
}

async function waitForExpansion(deps: BatchPhaseDeps, batchId: string) {
  const deadline = Date.now() + (deps.stopWaitMs ?? 30_000);
  for (;;) {
    const record = await deps.store.get(batchId);
    if (!record) throw new Error(`batch ${batchId} vanished while stopping`);
    if (record.expandDone) return record;
    if (Date.now() >= deadline) throw new ExpansionStillRunningError(`the expansion of ${batchId} has not stopped yet`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function tallyFinished(deps: BatchPhaseDeps, batchId: string, line: number): Promise<void> {
  const job = await deps.lineJobs.read(lineJobId(batchId, line));
  const outcome = job && outcomeOf(job);
  if (!outcome) return;
  const usage = outcome.status === 'succeeded' && outcome.result.usage ? { inputTokens: outcome.result.usage.input_tokens, outputTokens: outcome.result.usage.output_tokens } : undefined;
  await deps.store.tally(batchId, [line], lineOutcomeOf(outcome.status), usage);
}
