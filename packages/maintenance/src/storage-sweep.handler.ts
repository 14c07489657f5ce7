import { randomUUID } from 'node:crypto';
import { jobIdOfKey, jobObjectKindOfKey, JOB_OBJECTS_PREFIX, type JobContext, type StorageSweepPayload, type StorageSweepResult } from '@imageforge/jobs';
import type { ListedObject, ObjectStorage } from '@imageforge/storage';

/** One sweep at a time across every worker (RedisLease in the queue package). */
export interface SweepLease {
  acquire(holder: string): Promise<boolean>;
  /** False once the lease was lost: another sweep may have started. */
  renew(holder: string): Promise<boolean>;
  release(holder: string): Promise<void>;
}

/** Where a sweep says what it deleted; pino's shape. */
export interface SweepLogger {
  info(fields: Record<string, unknown>, message: string): void;
}

export interface StorageSweepDeps {
  storage: ObjectStorage;
  /** Which of these job ids some queue still holds. */
  existingJobIds(jobIds: readonly string[]): Promise<Set<string>>;
  /** Without it, sweeps that overlap (one outlasting its interval) each delete what they find. */
  lease?: SweepLease;
  logger?: SweepLogger;
  /** Unix milliseconds. Default: Date.now. */
  clock?: () => number;
}

/** Keys named per page in the log: enough to find an object again, not a thousand lines. */
const LOGGED_KEYS = 5;

/**
 * Deletes what retention says is done with, a page of `jobs/` at a time:
 * - outputs and previews older than `outputMaxAgeSeconds`, whether or not their job is still held;
 * - any object of a job no queue holds any more: outputs whose job retention removed, inputs stored
 *   for a job that was never added (an enqueue that failed, a process that died in between);
 * - temp files of local writes a crash cut short.
 * Objects younger than `minAgeSeconds` are never touched: an input is stored moments before its job
 * exists. A page's job ids go to Redis in one round trip and its deletions to storage in one request,
 * so memory and load stay bounded whatever the store holds. Deleting is idempotent, and the lease
 * keeps a second sweep from counting what the first deleted.
 */
export function createStorageSweepHandler(deps: StorageSweepDeps) {
  const clock = deps.clock ?? Date.now;
  return async (payload: StorageSweepPayload, context: JobContext): Promise<StorageSweepResult> => {
    const holder = `${context.jobId}:${randomUUID()}`;
    if (deps.lease && !(await deps.lease.acquire(holder))) {
      deps.logger?.info({ jobId: context.jobId }, 'retention sweep skipped: another sweep is running');
      return { scanned: 0, deleted: 0, skipped: true };
    }
    try {
      const now = clock();
      const cutoffs = {
        orphan: now - payload.minAgeSeconds * 1000,
        output: payload.outputMaxAgeSeconds === undefined ? undefined : now - payload.outputMaxAgeSeconds * 1000,
      };
      let scanned = 0;
      let deleted = 0;
      let pages = 0;
      let after: string | undefined;
      do {
        if (context.signal.aborted) break;
        const page = await deps.storage.list(JOB_OBJECTS_PREFIX, { limit: payload.pageSize, ...(after !== undefined ? { after } : {}) });
        scanned += page.objects.length;
        pages += 1;
        const doomed = await sweepable(page.objects, cutoffs, deps.existingJobIds);
        if (doomed.length > 0) {
          await deps.storage.deleteMany(doomed);
          deleted += doomed.length;
          deps.logger?.info({ jobId: context.jobId, page: pages, deleted: doomed.length, keys: doomed.slice(0, LOGGED_KEYS) }, 'retention sweep deleted objects');
        }
        after = page.next;
        // A lease that ran out may be another sweep's now: stop rather than sweep beside it.
        if (deps.lease && after !== undefined && !(await deps.lease.renew(holder))) break;
      } while (after !== undefined);
      const abandoned = context.signal.aborted ? 0 : await deps.storage.deleteAbandonedWrites(cutoffs.orphan);
      if (abandoned > 0) deps.logger?.info({ jobId: context.jobId, abandoned }, 'retention sweep removed temp files of unfinished writes');
      return { scanned, deleted, abandoned };
    } finally {
      await deps.lease?.release(holder).catch(() => undefined);
    }
  };
}

/** The keys of a page that retention is done with. */
async function sweepable(
  objects: readonly ListedObject[],
  cutoffs: { orphan: number; output: number | undefined },
  existingJobIds: StorageSweepDeps['existingJobIds'],
): Promise<string[]> {
  const expired: string[] = [];
  const old: Array<{ key: string; jobId: string }> = [];
  for (const object of objects) {
    const jobId = jobIdOfKey(object.key);
    if (jobId === undefined || object.lastModified > cutoffs.orphan) continue;
    const kind = jobObjectKindOfKey(object.key);
    if (cutoffs.output !== undefined && (kind === 'output' || kind === 'partial') && object.lastModified <= cutoffs.output) expired.push(object.key);
    else old.push({ key: object.key, jobId });
  }
  if (old.length === 0) return expired;
  const alive = await existingJobIds([...new Set(old.map((object) => object.jobId))]);
  return [...expired, ...old.filter((object) => !alive.has(object.jobId)).map((object) => object.key)];
}
