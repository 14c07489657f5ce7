import type { RedisClient } from '@imageforge/queue';
import { fileRecordSchema, type FileRecord } from './file-record';

/** Default base of the key prefix, the same one the queues use. */
export const DEFAULT_FILES_PREFIX_BASE = 'bull';

/** MGET this many records per round trip at most, so a 10,000-file page is not one huge reply. */
const MGET_CHUNK = 1000;

/**
 * The rank of the cursor and the page after it in one step, so a file added between two round
 * trips cannot shift the page. A cursor that is gone answers false.
 */
const PAGE_AFTER_SCRIPT = `
local rankCommand, rangeCommand = 'ZRANK', 'ZRANGE'
if ARGV[3] == 'desc' then rankCommand, rangeCommand = 'ZREVRANK', 'ZREVRANGE' end
local start = 0
if ARGV[1] ~= '' then
  local rank = redis.call(rankCommand, KEYS[1], ARGV[1])
  if not rank then return false end
  start = rank + 1
end
return redis.call(rangeCommand, KEYS[1], start, start + tonumber(ARGV[2]) - 1)
`;

export interface IdPageRequest {
  owner: string;
  purpose?: string;
  order: 'asc' | 'desc';
  after?: string;
  count: number;
}

/**
 * File metadata in Redis: one JSON string per file, a sorted set per owner (and per owner and
 * purpose) scored by creation time in milliseconds for cursor listing, and one set scored by expiry
 * for the sweep. Every key carries the `{files}` hash tag, so a MULTI over them stays in one Cluster
 * slot.
 */
export class FileMetadataStore {
  private readonly base: string;

  constructor(
    private readonly redis: RedisClient,
    prefixBase: string = DEFAULT_FILES_PREFIX_BASE,
  ) {
    this.base = `${prefixBase}:{files}:`;
  }

  async get(id: string): Promise<FileRecord | null> {
    return parseRecord(await this.redis.get(this.fileKey(id)));
  }

  /** Records of `ids` in their order; null where one is gone or unreadable. */
  async getMany(ids: readonly string[]): Promise<Array<FileRecord | null>> {
    const records: Array<FileRecord | null> = [];
    for (let start = 0; start < ids.length; start += MGET_CHUNK) {
      const chunk = ids.slice(start, start + MGET_CHUNK);
      const values = chunk.length > 0 ? await this.redis.mget(...chunk.map((id) => this.fileKey(id))) : [];
      records.push(...values.map(parseRecord));
    }
    return records;
  }

  /** Writes `record`, replacing `previous` (the record under the same id, if any) in every set. */
  async save(record: FileRecord, createdAtMs: number, previous: FileRecord | null): Promise<void> {
    const multi = this.redis.multi();
    if (previous) this.unlink(multi, previous);
    multi.set(this.fileKey(record.id), JSON.stringify(record));
    multi.zadd(this.ownerKey(record.owner), createdAtMs, record.id);
    multi.zadd(this.purposeKey(record.owner, record.purpose), createdAtMs, record.id);
    if (record.expiresAt !== null) multi.zadd(this.expiryKey(), record.expiresAt, record.id);
    await execOrThrow(multi);
  }

  async remove(record: FileRecord): Promise<void> {
    const multi = this.redis.multi();
    this.unlink(multi, record);
    await execOrThrow(multi);
  }

  /** Up to `count` ids after the cursor, in creation order; null when the cursor is not in the list. */
  async pageIds(request: IdPageRequest): Promise<string[] | null> {
    const key = request.purpose === undefined ? this.ownerKey(request.owner) : this.purposeKey(request.owner, request.purpose);
    const ids = (await this.redis.eval(PAGE_AFTER_SCRIPT, 1, key, request.after ?? '', String(request.count), request.order)) as string[] | null;
    return ids ?? null;
  }

  /** Ids whose expiry is at or before `nowSeconds`, oldest first, at most `count`. */
  async expiredIds(nowSeconds: number, count: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.expiryKey(), '-inf', nowSeconds, 'LIMIT', 0, count);
  }

  /** Drops an expiry entry whose record is already gone. */
  async forgetExpiry(id: string): Promise<void> {
    await this.redis.zrem(this.expiryKey(), id);
  }

  private unlink(multi: ReturnType<RedisClient['multi']>, record: FileRecord): void {
    multi.del(this.fileKey(record.id));
    multi.zrem(this.ownerKey(record.owner), record.id);
    multi.zrem(this.purposeKey(record.owner, record.purpose), record.id);
    multi.zrem(this.expiryKey(), record.id);
  }

  private fileKey(id: string): string {
    return `${this.base}file:${id}`;
  }

  private ownerKey(owner: string): string {
    return `${this.base}owner:${owner}`;
  }

  /** Purposes hold no ':', so this never collides with an owner key whatever the owner string. */
  private purposeKey(owner: string, purpose: string): string {
    return `${this.base}purpose:${purpose}:${owner}`;
  }

  private expiryKey(): string {
    return `${this.base}expiry`;
  }
}

function parseRecord(value: string | null): FileRecord | null {
  if (value === null) return null;
  try {
    const parsed = fileRecordSchema.safeParse(JSON.parse(value));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** MULTI reports a failed command inside its reply rather than by rejecting. */
async function execOrThrow(multi: ReturnType<RedisClient['multi']>): Promise<void> {
  const replies = await multi.exec();
  const failed = replies?.find(([error]) => error);
  if (failed?.[0]) throw failed[0];
}
