import type { BatchEndpoint, BatchError, BatchStatus } from '@imageforge/contracts';

/** Why a batch stopped before all its lines ran. */
export type BatchStop = 'cancel' | 'expire';

/** How a line ended, as tallied. */
export type LineOutcome = 'completed' | 'failed' | 'cancelled';

/** A line job's final status as its batch counts it: one that expired unstarted counts as failed, as OpenAI's counts have no other place. */
export function lineOutcomeOf(status: 'succeeded' | 'failed' | 'cancelled' | 'expired'): LineOutcome {
  if (status === 'succeeded') return 'completed';
  return status === 'expired' ? 'failed' : status;
}

/**
 * A batch as Redis holds it. Counters and timestamps are separate hash fields, so
 * workers move them atomically while the rest of the record stays put.
 */
export interface BatchRecord {
  id: string;
  /** sha256 of the key that created it. */
  owner: string;
  endpoint: BatchEndpoint;
  inputFileId: string;
  completionWindow: '24h';
  status: BatchStatus;
  /** The model the lines ran on (the first valid line's), once validated. */
  model: string | null;
  metadata: Record<string, string> | null;
  /** File-level errors that failed the batch. */
  errors: BatchError[] | null;
  outputFileId: string | null;
  errorFileId: string | null;
  /** Seconds after creation the output files expire; null: the default of their purpose. */
  outputExpiresAfterSeconds: number | null;
  /** Unix seconds. */
  createdAt: number;
  inProgressAt: number | null;
  expiresAt: number;
  finalizingAt: number | null;
  completedAt: number | null;
  failedAt: number | null;
  expiredAt: number | null;
  cancellingAt: number | null;
  cancelledAt: number | null;
  /** Lines in the input file (0 until validated). */
  total: number;
  completed: number;
  failed: number;
  /** Lines that never ran because the batch was cancelled or expired. */
  cancelled: number;
  inputTokens: number;
  outputTokens: number;
  /**
   * Lines per expansion chunk, fixed when validation passes: refused lines are filed per
   * chunk, so every later phase must cut the file the same way whatever its config says.
   */
  chunkSize: number;
  /** Lines turned into jobs (or refused) so far: where an interrupted expansion resumes. */
  linesExpanded: number;
  /** Expansion has ended, by reaching the end of the file or by a stop. */
  expandDone: boolean;
  stop: BatchStop | null;
}

/** Lines that have reached an outcome. */
export function settledLines(record: BatchRecord): number {
  return record.completed + record.failed + record.cancelled;
}

/** Every line has an outcome and no more will be added: the batch can be finalized. */
export function isReadyToFinalize(record: BatchRecord): boolean {
  return record.expandDone && settledLines(record) >= record.total;
}
