import type { FileExpiryPayload, FileExpiryResult } from '@imageforge/jobs';

export interface FileExpiryDeps {
  /** Deletes files (bytes and metadata) whose expiry is at or before `nowSeconds`, a page at a time; answers how many. */
  expireFiles(nowSeconds: number, pageSize: number): Promise<number>;
  /** Unix milliseconds. Default: Date.now. */
  clock?: () => number;
}

/**
 * Deletes uploaded and batch output files past their `expires_at`. Reads already hide
 * them; this frees their storage and metadata, paging through the expiry index.
 */
export function createFileExpiryHandler(deps: FileExpiryDeps) {
  const clock = deps.clock ?? Date.now;
  return async (payload: FileExpiryPayload): Promise<FileExpiryResult> => ({
    deleted: await deps.expireFiles(Math.floor(clock() / 1000), payload.pageSize),
  });
}
