import type { BatchJobCatalog, JobHandlers } from '@imageforge/jobs';
import type { BatchPhaseDeps } from './batch-deps';
import { expandBatch } from './batch-expand.handler';
import { finalizeBatch } from './batch-finalize.handler';
import { stopBatch } from './batch-stop.handler';
import { validateBatch } from './batch-validate.handler';

/** The batch catalog's handlers, for the worker's `batches` queue. */
export function createBatchJobHandlers(deps: BatchPhaseDeps): JobHandlers<BatchJobCatalog> {
  return {
    'batch.validate': async ({ batchId }) => ({ outcome: await validateBatch(deps, batchId) }),
    'batch.expand': async ({ batchId }) => ({ outcome: await expandBatch(deps, batchId) }),
    'batch.stop': async ({ batchId, reason }) => ({ outcome: await stopBatch(deps, batchId, reason) }),
    'batch.finalize': async ({ batchId }) => ({ outcome: await finalizeBatch(deps, batchId) }),
  };
}
