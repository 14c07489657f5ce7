import type { BatchStatus } from '@imageforge/contracts';
import type { RedisClient } from '@imageforge/queue';
import type { BatchRecord, LineOutcome } from './batch-record';
import { decodeBatch, encodeBatch } from './batch-record-codec';

/**
 * Batch records in Redis: one hash per batch, a bitmap of settled lines, and a sorted
 * set per owner for listing. All keys share the `{batches}` hash tag, so the scripts
 * below touch one Cluster slot.
 */

/** Marks a line settled once and counts it while the batch is open; returns the fields finalize waits on. */
const TALLY_SCRIPT = `
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'in_progress' and status ~= 'cancelling' and status ~= 'finalizing' and status ~= 'validating' then
  return {0, 0, 0, '0', status or ''}
end
local fresh = 0
for i = 1, #ARGV - 3, 1 do
  if redis.call('SETBIT', KEYS[2], ARGV[i + 3], 1) == 0 then fresh = fresh + 1 end
end
if fresh > 0 then
  redis.call('HINCRBY', KEYS[1], ARGV[1], fresh)
  if tonumber(ARGV[2]) > 0 then redis.call('HINCRBY', KEYS[1], 'input_tokens', ARGV[2]) end
  if tonumber(ARGV[3]) > 0 then redis.call('HINCRBY', KEYS[1], 'output_tokens', ARGV[3]) end
end
local f = redis.call('HMGET', KEYS[1], 'completed', 'failed', 'cancelled', 'total', 'expand_done', 'status')
local settled = (tonumber(f[1]) or 0) + (tonumber(f[2]) or 0) + (tonumber(f[3]) or 0)
return {fresh, settled, tonumber(f[4]) or 0, f[5] or '0', f[6] or ''}`;

/** KEYS[4] counts batches per status, moved in the same scripts that set a status, so it never drifts. */
const CREATE_SCRIPT = `
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[3]), ARGV[1])
redis.call('HINCRBY', KEYS[4], redis.call('HGET', KEYS[1], 'status'), 1)
return 1`;

/** Sets fields only while the status is one of ARGV[2..n]; ARGV[1] is the field count. */
const TRANSITION_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local status = redis.call('HGET', KEYS[1], 'status')
local n = tonumber(ARGV[1])
for i = n * 2 + 2, #ARGV, 1 do
  if ARGV[i] == status then
    redis.call('HSET', KEYS[1], unpack(ARGV, 2, n * 2 + 1))
    local now = redis.call('HGET', KEYS[1], 'status')
    if now ~= status then
      redis.call('HINCRBY', KEYS[2], status, -1)
      redis.call('HINCRBY', KEYS[2], now, 1)
    end
    return 1
  end
end
return 0`;

export interface TallyResult {
  /** Lines counted now (0: all were counted before). */
  fresh: number;
  readyToFinalize: boolean;
}

export interface BatchStoreOptions {
  redis: RedisClient;
  /** Base of the key prefix (QUEUE_PREFIX). Default `bull`. */
  prefix?: string;
}

export class BatchStore {
  private readonly redis: RedisClient;
  private readonly base: string;

  constructor(options: BatchStoreOptions) {
    this.redis = options.redis;
    this.base = `${options.prefix ?? 'bull'}:{batches}`;
  }

  private batchKey(id: string): string {
    return `${this.base}:batch:${id}`;
  }

  private settledKey(id: string): string {
    return `${this.base}:settled:${id}`;
  }

  private ownerKey(owner: string): string {
    return `${this.base}:owner:${owner}`;
  }

  private statusCountsKey(): string {
    return `${this.base}:status-counts`;
  }

  /** Batches per status over the whole deployment (those created since the counts were kept). */
  async countByStatus(): Promise<Partial<Record<BatchStatus, number>>> {
    const counts = await this.redis.hgetall(this.statusCountsKey());
    return Object.fromEntries(Object.entries(counts).map(([status, count]) => [status, Number(count)])) as Partial<Record<BatchStatus, number>>;
  }

  /** Listed by a sequence number rather than the creation second, so batches made in one second keep their order. */
  async create(record: BatchRecord): Promise<void> {
    const fields = Object.entries(encodeBatch(record)).flat();
    await this.redis.eval(CREATE_SCRIPT, 4, this.batchKey(record.id), this.ownerKey(record.owner), `${this.base}:sequence`, this.statusCountsKey(), record.id, ...fields);
  }

  async get(id: string): Promise<BatchRecord | null> {
    const fields = await this.redis.hgetall(this.batchKey(id));
    return Object.keys(fields).length === 0 ? null : decodeBatch(fields);
  }

  /** The batch if `owner` created it; another key's batch is as absent as a missing one. */
  async getOwned(owner: string, id: string): Promise<BatchRecord | null> {
    const record = await this.get(id);
    return record && record.owner === owner ? record : null;
  }

  /** Newest first, `limit` at a time, resuming after the id `after`. */
  async list(owner: string, page: { limit: number; after?: string }): Promise<{ data: BatchRecord[]; hasMore: boolean }> {
    const key = this.ownerKey(owner);
    let start = 0;
    if (page.after) {
      const rank = await this.redis.zrevrank(key, page.after);
      if (rank === null) return { data: [], hasMore: false };
      start = rank + 1;
    }
    const ids = await this.redis.zrevrange(key, start, start + page.limit);
    const records = await Promise.all(ids.slice(0, page.limit).map((id) => this.get(id)));
    return { data: records.filter((record): record is BatchRecord => record !== null), hasMore: ids.length > page.limit };
  }

  /** Writes `fields` if the batch is in one of `from`; false when it was not (another step moved it first). */
  async transition(id: string, from: readonly BatchStatus[], fields: Partial<BatchRecord>): Promise<boolean> {
    const encoded = Object.entries(encodeBatch(fields));
    const args = [String(encoded.length), ...encoded.flat(), ...from];
    return (await this.redis.eval(TRANSITION_SCRIPT, 2, this.batchKey(id), this.statusCountsKey(), ...args)) === 1;
  }

  /** Writes fields whatever the status (checkpoints, file ids). */
  async update(id: string, fields: Partial<BatchRecord>): Promise<void> {
    await this.redis.hset(this.batchKey(id), encodeBatch(fields));
  }

  /**
   * Counts lines as settled, each at most once however often it is reported (a worker
   * that crashed after tallying runs the job again and reports again). Returns how many
   * were new and whether the batch is now ready to finalize.
   */
  async tally(id: string, lines: readonly number[], outcome: LineOutcome, usage?: { inputTokens: number; outputTokens: number }): Promise<TallyResult> {
    if (lines.length === 0) return { fresh: 0, readyToFinalize: false };
    const field = outcome;
    const reply = (await this.redis.eval(
      TALLY_SCRIPT,
      2,
      this.batchKey(id),
      this.settledKey(id),
      field,
      String(usage?.inputTokens ?? 0),
      String(usage?.outputTokens ?? 0),
      ...lines.map(String),
    )) as [number, number, number, string, string];
    const [fresh, settled, total, expandDone, status] = reply;
    const open = status === 'in_progress' || status === 'cancelling' || status === 'finalizing';
    return { fresh: Number(fresh), readyToFinalize: open && expandDone === '1' && Number(settled) >= Number(total) };
  }

  /** Drops the bitmap of settled lines once the batch is final and no phase reads it again. */
  async forgetSettled(id: string): Promise<void> {
    await this.redis.del(this.settledKey(id));
  }

  /** Which of `lines` are settled, one pipelined GETBIT each. */
  async settled(id: string, lines: readonly number[]): Promise<boolean[]> {
    const pipeline = this.redis.pipeline();
    for (const line of lines) pipeline.getbit(this.settledKey(id), line);
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([error, bit]) => {
      if (error) throw error;
      return bit === 1;
    });
  }

  /** Redis bytes a batch's record and bitmap take (the benchmark's per-line cost). */
  async memoryUsage(id: string): Promise<number> {
    const [record, bitmap] = await Promise.all([
      this.redis.call('MEMORY', 'USAGE', this.batchKey(id)),
      this.redis.call('MEMORY', 'USAGE', this.settledKey(id)),
    ]);
    return Number(record ?? 0) + Number(bitmap ?? 0);
  }
}

function throwOnFailedReply(replies: [Error | null, unknown][] | null): void {
  for (const [error] of replies ?? []) if (error) throw error;
}
