import { z } from 'zod';
import { defineJobCatalog, type JobName, type JobPayload, type JobResult } from '../job-catalog';

/** Queue the maintenance jobs run on, apart from the GPU queues so a sweep never waits behind inference. */
export const MAINTENANCE_QUEUE = 'maintenance';

export const StorageSweepPayloadSchema = z.object({
  /** Objects younger than this are left alone: inputs are stored moments before their job is added. */
  minAgeSeconds: z.number().int().positive(),
  /** Keys listed per storage page, and job ids looked up per Redis round trip. */
  pageSize: z.number().int().min(1).max(1_000).default(500),
  /**
   * Outputs and previews older than this go whether or not a queue still holds their job
   * (RETENTION_OUTPUT_HOURS). Absent (schedules upserted before it existed): they go with their job.
   */
  outputMaxAgeSeconds: z.number().int().positive().optional(),
});

export const StorageSweepResultSchema = z.object({
  /** Objects looked at. */
  scanned: z.number().int().nonnegative(),
  /** Objects deleted: outputs past their age, and objects of jobs no queue holds any more (removed by retention, or never added). */
  deleted: z.number().int().nonnegative(),
  /** Temp files of writes a crash cut short, removed. */
  abandoned: z.number().int().nonnegative().optional(),
  /** Another sweep was running: this one left the store to it. */
  skipped: z.boolean().optional(),
});

export const FileExpiryPayloadSchema = z.object({
  /** Expired files deleted per Redis round trip. */
  pageSize: z.number().int().min(1).max(1_000).default(500),
});

export const FileExpiryResultSchema = z.object({
  /** Files whose expiry had passed, deleted with their bytes. */
  deleted: z.number().int().nonnegative(),
});

const SCHEDULED_OPTIONS = {
  attempts: 1,
  backoff: { type: 'fixed' as const, delay: 1_000 },
  removeOnComplete: { age: 7 * 24 * 3600, count: 200 },
  removeOnFail: { age: 7 * 24 * 3600, count: 200 },
};

export const maintenanceJobCatalog = defineJobCatalog({
  'maintenance.sweep': {
    operation: 'sweep',
    payload: StorageSweepPayloadSchema,
    result: StorageSweepResultSchema,
    // One attempt: the next scheduled sweep is the retry, and a sweep cut short leaves nothing half done.
    options: SCHEDULED_OPTIONS,
  },
  'maintenance.expire-files': {
    operation: 'expire-files',
    payload: FileExpiryPayloadSchema,
    result: FileExpiryResultSchema,
    options: SCHEDULED_OPTIONS,
  },
});

export type MaintenanceJobCatalog = typeof maintenanceJobCatalog;
export type MaintenanceJobName = JobName<MaintenanceJobCatalog>;
export type StorageSweepPayload = JobPayload<MaintenanceJobCatalog, 'maintenance.sweep'>;
export type StorageSweepResult = JobResult<MaintenanceJobCatalog, 'maintenance.sweep'>;
export type FileExpiryPayload = JobPayload<MaintenanceJobCatalog, 'maintenance.expire-files'>;
export type FileExpiryResult = JobResult<MaintenanceJobCatalog, 'maintenance.expire-files'>;
