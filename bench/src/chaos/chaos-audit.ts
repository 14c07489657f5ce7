import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { sleep } from './chaos-stack';

export interface ChaosAudit {
  jobs: number;
  completed: number;
  failed: number;
  failedReasons: Record<string, number>;
  /** Accepted, yet not in Redis or not finished after the drain. */
  lost: number;
  /** Completed jobs whose output folder holds more files than images asked for. */
  duplicatedOutputs: number;
  /** Completed jobs whose output is missing from storage. */
  missingOutputs: number;
  /** Jobs started more than once (a worker died under them, or an attempt failed). */
  reExecuted: number;
  drainMs: number;
}

const PREFIX = 'bull:{images}:images';

/**
 * Reads every job's end from Redis itself (not through the API under test), waiting up
 * to `drainTimeoutMs` for stragglers, then checks each completed job's files on disk.
 */
export async function auditJobs(redisUrl: string, storageDir: string, jobIds: readonly string[], imagesPerJob: number, drainTimeoutMs: number): Promise<ChaosAudit> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  const started = Date.now();
  try {
    const ids = [...new Set(jobIds)];
    let pending = ids;
    const ends = new Map<string, { state: 'completed' | 'failed'; reason?: string; started: number }>();
    while (pending.length > 0 && Date.now() - started < drainTimeoutMs) {
      const pipeline = redis.pipeline();
      for (const id of pending) {
        pipeline.zscore(`${PREFIX}:completed`, id);
        pipeline.zscore(`${PREFIX}:failed`, id);
        pipeline.hmget(`${PREFIX}:${id}`, 'failedReason', 'ats');
      }
      const replies = (await pipeline.exec()) ?? [];
      pending.forEach((id, index) => {
        const completed = replies[index * 3]?.[1];
        const failed = replies[index * 3 + 1]?.[1];
        const [reason, attemptsStarted] = (replies[index * 3 + 2]?.[1] as Array<string | null>) ?? [];
        if (completed !== null) ends.set(id, { state: 'completed', started: Number(attemptsStarted ?? 0) });
        else if (failed !== null) ends.set(id, { state: 'failed', reason: reason ?? 'unknown', started: Number(attemptsStarted ?? 0) });
      });
      pending = pending.filter((id) => !ends.has(id));
      if (pending.length > 0) await sleep(500);
    }
    const audit: ChaosAudit = { jobs: ids.length, completed: 0, failed: 0, failedReasons: {}, lost: pending.length, duplicatedOutputs: 0, missingOutputs: 0, reExecuted: 0, drainMs: Date.now() - started };
    for (const [id, end] of ends) {
      if (end.started > 1) audit.reExecuted += 1;
      if (end.state === 'failed') {
        audit.failed += 1;
        const reason = (end.reason ?? 'unknown').replace(/jobs\/\S+/g, 'jobs/…').slice(0, 120);
        audit.failedReasons[reason] = (audit.failedReasons[reason] ?? 0) + 1;
        continue;
      }
      audit.completed += 1;
      const files = await readdir(join(storageDir, 'objects', 'jobs', id, 'output')).catch(() => []);
      if (files.length > imagesPerJob) audit.duplicatedOutputs += 1;
      if (files.length < imagesPerJob) audit.missingOutputs += 1;
    }
    return audit;
  } finally {
    redis.disconnect();
  }
}
