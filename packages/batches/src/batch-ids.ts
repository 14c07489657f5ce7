import { createHash, randomBytes } from 'node:crypto';

/**
 * Ids derived from a batch's id, so every phase that runs again (after a crash) names
 * the same jobs, files and lines instead of making new ones.
 */
const BATCH_ID_PATTERN = /^batch_[0-9a-f]{32}$/;

export function newBatchId(): string {
  return `batch_${randomBytes(16).toString('hex')}`;
}

export function isBatchId(value: string): boolean {
  return BATCH_ID_PATTERN.test(value);
}

const digest = (...parts: (string | number)[]) => createHash('sha256').update(parts.join('\n')).digest('hex');

/** The image job of a line, as the job model names it. */
export { batchLineJobId as lineJobId } from '@imageforge/jobs';

/** `batch_req_…` of a line's output record. */
export function lineRecordId(batchId: string, line: number): string {
  return `batch_req_${digest(batchId, line, 'record').slice(0, 32)}`;
}

/** The x-request-id a line's request would have had: its job and its error both carry it. */
export function lineRequestId(batchId: string, line: number): string {
  return `req_${digest(batchId, line, 'request').slice(0, 32)}`;
}

export type BatchPhase = 'validate' | 'expand' | 'cancel' | 'expire' | 'finalize';

export function phaseJobId(batchId: string, phase: BatchPhase): string {
  return `${batchId}-${phase}`;
}

/** The output and error files: `file-` ids chosen by the batch, so a re-run finalize replaces them. */
export function batchFileId(batchId: string, kind: 'output' | 'error'): string {
  return `file-${kind}-${batchId.slice('batch_'.length)}`;
}

/** Where the lines expansion refused (with the error a sync call would get) wait for finalize, per chunk. */
export function rejectedChunkKey(batchId: string, chunk: number): string {
  return `batches/${batchId}/rejected/${chunk}.jsonl`;
}
