import { QueueKeys } from 'bullmq';
import type { Redis } from 'ioredis';

export type JobOutcome =
  | { state: 'completed'; returnvalue: unknown }
  | { state: 'failed'; failedReason: string }
  | { state: 'pending' }
  | { state: 'missing' };

/**
 * Reads whether jobs have finished, many per round trip (one pipeline per batch).
 * Membership of the `completed` / `failed` sets is what counts: BullMQ moves a
 * failed attempt that will be retried to `delayed` or `wait`, never to `failed`,
 * so a job found in `failed` has used its attempts (or failed unrecoverably).
 */
export class JobOutcomeReader {
  private readonly keys: QueueKeys;

  constructor(
    private readonly connection: Redis,
    prefix: string,
    private readonly batchSize: number,
  ) {
    this.keys = new QueueKeys(prefix);
  }

  async read(queue: string, jobIds: readonly string[]): Promise<Map<string, JobOutcome>> {
    const outcomes = new Map<string, JobOutcome>();
    for (let start = 0; start < jobIds.length; start += this.batchSize) {
      const batch = jobIds.slice(start, start + this.batchSize);
      const pipeline = this.connection.pipeline();
      for (const jobId of batch) {
        pipeline.zscore(this.keys.toKey(queue, 'completed'), jobId);
        pipeline.zscore(this.keys.toKey(queue, 'failed'), jobId);
        pipeline.hmget(this.keys.toKey(queue, jobId), 'timestamp', 'returnvalue', 'failedReason');
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

function toOutcome(completedScore: unknown, failedScore: unknown, fields: Array<string | null>): JobOutcome {
  const [timestamp, returnvalue, failedReason] = fields;
  if (timestamp === null || timestamp === undefined) return { state: 'missing' };
  if (completedScore !== null) return { state: 'completed', returnvalue: parseJson(returnvalue ?? null) };
  if (failedScore !== null) return { state: 'failed', failedReason: failedReason ?? 'unknown failure' };
  return { state: 'pending' };
}

function parseJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
