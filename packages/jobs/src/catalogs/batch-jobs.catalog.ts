import { z } from 'zod';
import { defineJobCatalog, type JobName, type JobOptions } from '../job-catalog';

/**
 * The phases of a batch, each a job, so a process killed in any of them leaves the
 * phase to run again on another: validate the input file, expand its lines into image
 * jobs, stop (cancel or expire), finalize the output files. Every phase resumes from
 * what Redis and storage already hold, so running one twice changes nothing.
 */
export const BATCH_QUEUE = 'batches';

const BatchRefSchema = z.object({ batchId: z.string().min(1) });
const PhaseResultSchema = z.object({
  /** What the phase did, for logs and the dashboard (`expanded`, `skipped`, `failed`, …). */
  outcome: z.string().min(1),
});

const PHASE_OPTIONS: JobOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
  removeOnFail: { age: 30 * 24 * 3600, count: 10_000 },
};

export const batchJobCatalog = defineJobCatalog({
  'batch.validate': { operation: 'validate', payload: BatchRefSchema, result: PhaseResultSchema, options: PHASE_OPTIONS },
  'batch.expand': { operation: 'expand', payload: BatchRefSchema, result: PhaseResultSchema, options: PHASE_OPTIONS },
  'batch.stop': {
    operation: 'stop',
    payload: BatchRefSchema.extend({ reason: z.enum(['cancel', 'expire']) }),
    result: PhaseResultSchema,
    options: PHASE_OPTIONS,
  },
  'batch.finalize': { operation: 'finalize', payload: BatchRefSchema, result: PhaseResultSchema, options: PHASE_OPTIONS },
});

export type BatchJobCatalog = typeof batchJobCatalog;
export type BatchJobName = JobName<BatchJobCatalog>;
