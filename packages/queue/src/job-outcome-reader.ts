import { QueueKeys } from 'bullmq';
import type { JobOutcome } from '@imageforge/jobs';
import type { RedisClient } from './redis-connection';
import { failureStatus } from './job-state';

/** A job's ending as read from Redis: its outcome, or that it has none yet, or that it does not exist. */
export type OutcomeRead = JobOutcome | 'pending' | 'missing';

/**
 * Reads whether jobs of one queue have finished, many per round trip (one pipeline
 * per batch; every key shares the queue's hash tag, so it is one slot on a cluster).
 * Membership of the `completed` / `failed` sets is what counts: BullMQ moves a failed
 * attempt that will be retried to `delayed` or `wait`, never to `failed`, so a job
 * found in `failed` has used its attempts (or failed unrecoverably).
 */
export class JobOutcomeReader {
  constructor(
    private readonly connection: RedisClient,
    private readonly batchSize: number,
  ) {}

  async read(queue: { name: string; prefix: string }, jobIds: readonly string[]): Promise<Map<string, OutcomeRead>> {
    const keys = new QueueKeys(queue.prefix);
    const outcomes = new Map<string, OutcomeRead>();
    for (let start = 0; start < jobIds.length; start += this.batchSize) {
      const batch = jobIds.slice(start, start + this.batchSize);
      const pipeline = this.connection.pipeline();
      for (const jobId of batch) {
        pipeline.zscore(keys.toKey(queue.name, 'completed'), jobId);
        pipeline.zscore(keys.toKey(queue.name, 'failed'), jobId);
        pipeline.hmget(keys.toKey(queue.name, jobId), 'timestamp', 'returnvalue', 'failedReason');
      }
      const replies = (await pipeline.exec()) ?? [];
      batch.forEach((jobId, index) => {
        const [completed, failed, fields] = replies.slice(index * 3, index * 3 + 3).map(([error, value]) => {
          if (error) throw error;
          return value;
        });
        outcomes.set(jobId, toOutcome(completed, failed, fields as Array<string | null>));
      });
    }
    return outcomes;
  }
}

function toOutcome(completedScore: unknown, failedScore: unknown, fields: Array<string | null>): OutcomeRead {
  const [timestamp, returnvalue, failedReason] = fields;
  if (timestamp === null || timestamp === undefined) return 'missing';
  if (completedScore !== null) return { status: 'succeeded', result: parseJson(returnvalue ?? null) };
  if (failedScore !== null) {
    const reason = failedReason ?? 'unknown failure';
    return { status: failureStatus(reason), reason };
  }
  return 'pending';
}

function parseJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
