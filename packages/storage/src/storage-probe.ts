import { randomUUID } from 'node:crypto';
import type { ObjectStorage } from './object-storage';

export interface StorageProbeOptions {
  /** How long one probe's verdict stands, so a busy /readyz does not write an object per call. Default 5 000 ms. */
  cacheMs?: number;
  /** Unix milliseconds. Default: Date.now. */
  clock?: () => number;
}

/**
 * A readiness check that proves the store works the way requests use it: it puts a
 * small object, reads it back, and deletes it. Reachable is not enough (a read-only
 * disk or a bucket without write permission answers a ping). Concurrent callers share
 * one probe, and its verdict, success or failure, stands for `cacheMs`.
 */
export function createStorageProbe(storage: ObjectStorage, options: StorageProbeOptions = {}): () => Promise<void> {
  const cacheMs = options.cacheMs ?? 5_000;
  const clock = options.clock ?? Date.now;
  let last: { at: number; result: Promise<void> } | undefined;

  const probe = async (): Promise<void> => {
    const key = `health/probe-${randomUUID()}`;
    const body = Buffer.from(key);
    await storage.put(key, body, { contentType: 'text/plain' });
    try {
      const read = await storage.get(key);
      if (!read.equals(body)) throw new Error('storage returned other bytes than were written');
    } finally {
      await storage.delete(key);
    }
  };

  return () => {
    if (!last || clock() - last.at >= cacheMs) {
      const result = probe();
      result.catch(() => undefined);
      last = { at: clock(), result };
    }
    return last.result;
  };
}
