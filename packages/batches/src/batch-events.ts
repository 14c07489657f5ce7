import { FINAL_BATCH_STATUSES } from '@imageforge/contracts';
import type { BatchPhaseDeps } from './batch-deps';
import { isReadyToFinalize } from './batch-record';

const EVENT_TYPES = {
  completed: 'batch.completed',
  failed: 'batch.failed',
  expired: 'batch.expired',
  cancelled: 'batch.cancelled',
} as const;

/**
 * Tells the webhook outbox the batch reached a final status. The event id derives from
 * the batch and status, so the phase that changed the status may emit again after a
 * crash without a second delivery.
 */
export async function emitFinalEvent(deps: BatchPhaseDeps, batchId: string): Promise<void> {
  if (!deps.events) return;
  const record = await deps.store.get(batchId);
  if (!record || !(record.status in EVENT_TYPES)) return;
  const status = record.status as keyof typeof EVENT_TYPES;
  const at = { completed: record.completedAt, failed: record.failedAt, expired: record.expiredAt, cancelled: record.cancelledAt }[status];
  await deps.events.emit({
    id: `evt_${batchId.slice('batch_'.length)}_${status}`,
    type: EVENT_TYPES[status],
    createdAt: at ?? Math.floor((deps.now ?? Date.now)() / 1000),
    owner: record.owner,
    data: { id: batchId },
  });
}

/** Queues finalize once every line has an outcome (checked by whoever settled the last). */
export async function finalizeIfReady(deps: Pick<BatchPhaseDeps, 'store' | 'phases'>, batchId: string): Promise<void> {
  const record = await deps.store.get(batchId);
  if (record && !FINAL_BATCH_STATUSES.has(record.status) && isReadyToFinalize(record)) await deps.phases.finalize(batchId);
}
