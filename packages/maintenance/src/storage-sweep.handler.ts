import { jobIdOfKey, JOB_OBJECTS_PREFIX, type JobContext, type StorageSweepPayload, type StorageSweepResult } from '@imageforge/jobs';
import type { ObjectStorage } from '@imageforge/storage';

export interface StorageSweepDeps {
  storage: ObjectStorage;
  /** Which of these job ids some queue still holds. */
  existingJobIds(jobIds: readonly string[]): Promise<Set<string>>;
  /** Unix milliseconds. Default: Date.now. */
  clock?: () => number;
}

/**
 * Deletes the objects of jobs no queue holds any more: outputs whose job retention
 * has removed (nothing can link to them again), and inputs stored for a job that was
 * never added. Walks storage a page at a time and asks Redis about a page's job ids
 * in one round trip, so memory and Redis load stay bounded whatever the store holds.
 * Objects younger than `minAgeSeconds` are never touched: an input is stored moments
 * before its job exists.
 */
export function createStorageSweepHandler(deps: StorageSweepDeps) {
  const clock = deps.clock ?? Date.now;
  return async (payload: StorageSweepPayload, context: JobContext): Promise<StorageSweepResult> => {
    const cutoff = clock() - payload.minAgeSeconds * 1000;
    let scanned = 0;
    let deleted = 0;
    let after: string | undefined;
    do {
      if (context.signal.aborted) break;
      const page = await deps.storage.list(JOB_OBJECTS_PREFIX, { limit: payload.pageSize, ...(after !== undefined ? { after } : {}) });
      scanned += page.objects.length;
      const old = page.objects.filter((object) => object.lastModified <= cutoff && jobIdOfKey(object.key) !== undefined);
      const alive = await deps.existingJobIds([...new Set(old.map((object) => jobIdOfKey(object.key)!))]);
      const orphans = old.filter((object) => !alive.has(jobIdOfKey(object.key)!));
      await Promise.all(orphans.map((object) => deps.storage.delete(object.key)));
      deleted += orphans.length;
      after = page.next;
    } while (after !== undefined);
    return { scanned, deleted };
  };
}
