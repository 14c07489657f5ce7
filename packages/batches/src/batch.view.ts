import type { Batch } from '@imageforge/contracts';
import type { BatchRecord } from './batch-record';

/** The record as OpenAI's Batch object; the one place that shape is built. */
export function toBatchObject(record: BatchRecord): Batch {
  return {
    id: record.id,
    object: 'batch',
    endpoint: record.endpoint,
    model: record.model,
    errors: record.errors && record.errors.length > 0 ? { object: 'list', data: record.errors } : null,
    input_file_id: record.inputFileId,
    completion_window: record.completionWindow,
    status: record.status,
    output_file_id: record.outputFileId,
    error_file_id: record.errorFileId,
    created_at: record.createdAt,
    in_progress_at: record.inProgressAt,
    expires_at: record.expiresAt,
    finalizing_at: record.finalizingAt,
    completed_at: record.completedAt,
    failed_at: record.failedAt,
    expired_at: record.expiredAt,
    cancelling_at: record.cancellingAt,
    cancelled_at: record.cancelledAt,
    // Lines cancelled or expired before they ran are neither; OpenAI counts only what ran.
    request_counts: { total: record.total, completed: record.completed, failed: record.failed },
    usage: {
      input_tokens: record.inputTokens,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: record.outputTokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: record.inputTokens + record.outputTokens,
    },
    metadata: record.metadata,
  };
}
