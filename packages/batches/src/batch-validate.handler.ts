import { BATCH_MAX_FILE_BYTES, type BatchError } from '@imageforge/contracts';
import { DEFAULT_CHUNK_SIZE, type BatchPhaseDeps } from './batch-deps';
import { emitFinalEvent } from './batch-events';
import { scanInputFile } from './input-file-scan';

const unixNow = (deps: BatchPhaseDeps) => Math.floor((deps.now ?? Date.now)() / 1000);

/**
 * Phase 1: the file-level checks. A file that fails them fails the batch with every
 * problem and its line; one that passes moves the batch to `in_progress` and queues
 * the expansion. A cancel that arrived meanwhile ends expansion before it starts.
 */
export async function validateBatch(deps: BatchPhaseDeps, batchId: string): Promise<string> {
  // Queued just before its record is written: the record follows within milliseconds, or after a
  // retry; if its creator died in between, the retries run out and nothing was ever promised.
  let record = await deps.store.get(batchId);
  for (let wait = 0; !record && wait < 40; wait += 1) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    record = await deps.store.get(batchId);
  }
  if (!record) throw new BatchNotFoundYetError(`batch ${batchId} has no record yet`);
  if (record.status !== 'validating' && record.status !== 'cancelling') return 'skipped';
  if (record.status === 'cancelling' && record.expandDone) return 'skipped';

  const file = await deps.files.retrieve(record.owner, record.inputFileId);
  const fail = async (errors: BatchError[], total = 0) => {
    const failed = await deps.store.transition(batchId, ['validating', 'cancelling'], { status: 'failed', failedAt: unixNow(deps), errors, total, expandDone: true });
    if (failed) await emitFinalEvent(deps, batchId);
    return 'failed';
  };
  if (!file) {
    return fail([{ code: 'file_not_found', message: `The input file ${record.inputFileId} no longer exists.`, param: 'input_file_id', line: null }]);
  }
  if (file.bytes > BATCH_MAX_FILE_BYTES) {
    return fail([
      {
        code: 'file_too_large',
        message: `The input file is ${file.bytes} bytes; a batch input file may be at most ${BATCH_MAX_FILE_BYTES} bytes (200 MB).`,
        param: 'input_file_id',
        line: null,
      },
    ]);
  }
  const scan = await scanInputFile(await deps.storage.getStream(file.key), record.endpoint);
  if (scan.errors.length > 0) return fail(scan.errors, scan.lines);

  await deps.store.update(batchId, { total: scan.lines, model: scan.model, chunkSize: deps.chunkSize ?? DEFAULT_CHUNK_SIZE });
  if (await deps.store.transition(batchId, ['validating'], { status: 'in_progress', inProgressAt: unixNow(deps) })) {
    await deps.phases.expand(batchId);
    return 'validated';
  }
  // Cancelled while the file was read: nothing will be expanded, and the stop counts every line.
  await deps.store.update(batchId, { expandDone: true });
  return 'stopped';
}

export class BatchNotFoundYetError extends Error {
  override readonly name = 'BatchNotFoundYetError';
}
