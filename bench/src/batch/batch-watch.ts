import { Redis } from 'ioredis';
import { BatchStore, lineJobId, type BatchRecord } from '@imageforge/batches';

/** The batch lane queue of the `images` model queue, under the default `bull` prefix and its hash tag. */
const LINE_QUEUE_KEY = 'bull:{images-batch}:images-batch';

/** A record as read at one moment (epoch ms on this machine's clock, as BullMQ's stamps are). */
export interface BatchSnapshot {
  record: BatchRecord;
  at: number;
}

/**
 * Reads batches and their line jobs straight from Redis: the record through the batches
 * package's own store, line completions from the lane queue's `completed` set, whose
 * scores are BullMQ's `finishedOn`. Nothing here goes through the API being measured.
 */
export class BatchWatch {
  private constructor(private readonly redis: Redis, readonly store: BatchStore) {}

  static async connect(url: string): Promise<BatchWatch> {
    const redis = new Redis(url, { maxRetriesPerRequest: 3, lazyConnect: true });
    await redis.connect();
    return new BatchWatch(redis, new BatchStore({ redis }));
  }

  /**
   * Polls the record until `done` holds; the time is that of the read that saw it.
   * `check` runs on every round, so a process that died ends the wait with its own output.
   */
  async until(id: string, done: (record: BatchRecord) => boolean, wait: { what: string; timeoutMs: number; intervalMs?: number; check?: () => void }): Promise<BatchSnapshot> {
    const deadline = Date.now() + wait.timeoutMs;
    let last: BatchRecord | null = null;
    while (Date.now() < deadline) {
      last = await this.store.get(id);
      const at = Date.now();
      if (last && done(last)) return { record: last, at };
      wait.check?.();
      await new Promise((resolve) => setTimeout(resolve, wait.intervalMs ?? 20));
    }
    const seen = last ? `${last.status}, ${last.linesExpanded} expanded, ${last.completed + last.failed} of ${last.total} settled` : 'no record';
    throw new Error(`batch ${id}: not ${wait.what} within ${wait.timeoutMs} ms (${seen})`);
  }

  /** Epoch ms of the first and last line completion in the lane queue, or undefined when none finished. */
  async completionRange(): Promise<{ first: number; last: number } | undefined> {
    const [first, last] = await Promise.all([
      this.redis.zrange(`${LINE_QUEUE_KEY}:completed`, '0', '0', 'WITHSCORES'),
      this.redis.zrange(`${LINE_QUEUE_KEY}:completed`, '-1', '-1', 'WITHSCORES'),
    ]);
    if (first[1] === undefined || last[1] === undefined) return undefined;
    return { first: Number(first[1]), last: Number(last[1]) };
  }

  /** Job ids of lines that completed between two epoch times, inclusive. */
  async completedBetween(from: number, to: number): Promise<string[]> {
    return this.redis.zrangebyscore(`${LINE_QUEUE_KEY}:completed`, from, to);
  }

  /** `finishedOn` of each job, null for one not completed. */
  async completedAt(jobIds: readonly string[]): Promise<Array<number | null>> {
    const scores = await Promise.all(jobIds.map((id) => this.redis.zscore(`${LINE_QUEUE_KEY}:completed`, id)));
    return scores.map((score) => (score === null ? null : Number(score)));
  }

  /** When each job was added (BullMQ's `timestamp`), null for one that is gone. */
  async addedAt(jobIds: readonly string[]): Promise<Array<number | null>> {
    const stamps = await Promise.all(jobIds.map((id) => this.redis.hget(`${LINE_QUEUE_KEY}:${id}`, 'timestamp')));
    return stamps.map((stamp) => (stamp === null ? null : Number(stamp)));
  }

  /** Mean MEMORY USAGE of the given line jobs' hashes (the job itself, not its set entries or events). */
  async meanJobBytes(jobIds: readonly string[]): Promise<number> {
    const sizes = await Promise.all(jobIds.map((id) => this.redis.call('MEMORY', 'USAGE', `${LINE_QUEUE_KEY}:${id}`)));
    const known = sizes.map(Number).filter((size) => Number.isFinite(size) && size > 0);
    return known.length > 0 ? known.reduce((sum, size) => sum + size, 0) / known.length : Number.NaN;
  }

  /** Jobs BullMQ holds as active in the lane queue: running, plus at most one per lane waiting at the worker's gate. */
  async activeLines(): Promise<number> {
    return this.redis.llen(`${LINE_QUEUE_KEY}:active`);
  }

  /** Entries of the lane queue's events stream (trimmed by BullMQ, so bounded). */
  async eventsLength(): Promise<number> {
    return this.redis.xlen(`${LINE_QUEUE_KEY}:events`);
  }

  close(): void {
    this.redis.disconnect();
  }
}

/** Job ids of every `every`-th line of a batch (lines are numbered from 1). */
export function lineJobIds(batchId: string, lines: number, every = 1): string[] {
  const ids: string[] = [];
  for (let line = 1; line <= lines; line += every) ids.push(lineJobId(batchId, line));
  return ids;
}

/** How many of `jobIds` are lines of `batchId` (a line job's id is the batch id, a dash and the line). */
export function countLinesOf(jobIds: readonly string[], batchId: string): number {
  const prefix = `${batchId}-`;
  return jobIds.filter((id) => id.startsWith(prefix) && /^\d+$/.test(id.slice(prefix.length))).length;
}
