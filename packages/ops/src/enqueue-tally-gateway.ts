import type { QueueLogger } from '@imageforge/queue';
import type { EnqueueCounter } from './metrics/enqueue-counter';
import type { OpsHistoryRecorder } from './ops-history.recorder';

/**
 * Counts queued jobs in the ops history, for `countingJobGateway` (sync and async submissions in
 * the API, batch lines in the worker's expansion). Not awaited: the caller's enqueue is done, and
 * a failed count is logged. A batch chunk queued again after a crash is counted again.
 */
export function enqueueHistoryCounter(history: Pick<OpsHistoryRecorder, 'recordEnqueued'>, logger?: QueueLogger): EnqueueCounter {
  return (requests) => {
    const facts = requests.map(({ queue, lane = 'interactive', payload }) => ({ queue, lane, model: payload.params.model, ...(payload.batch ? { batchId: payload.batch.id } : {}) }));
    history.recordEnqueued(facts).catch((error: unknown) => logger?.warn({ err: error }, 'counting queued jobs in the ops history failed'));
  };
}
