import { DEFAULT_QUEUE_PREFIX, type RedisClient } from '@imageforge/queue';
import { LuaScript } from '../limits/lua-script';
import { storedApiKeySchema, type ApiKeyRecord, type StoredApiKey } from './api-key';

/** Read this many keys per round trip at most when listing. */
const LIST_CHUNK = 500;

/**
 * The auth path's one round trip: the record of the key with this hash, and `last_used_at`
 * moved to now when it is at least ARGV[2] seconds old, so a key in constant use costs one
 * write a minute however many processes and requests use it.
 */
const USE_SCRIPT = new LuaScript(`
local found = redis.call('HMGET', KEYS[1], 'record', 'last_used_at')
if not found[1] then return false end
local last = tonumber(found[2])
if not last or tonumber(ARGV[1]) - last >= tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], 'last_used_at', ARGV[1])
  return {found[1], ARGV[1]}
end
return {found[1], found[2]}
`);

/** Rewrites a record only while the key exists, so an update racing a revoke never brings it back. */
const REPLACE_SCRIPT = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'record', ARGV[1])
return 1
`);

export interface ApiKeyStoreOptions {
  redis: RedisClient;
  /** QUEUE_PREFIX; keys are `<prefix>:{keys}:…`. Default `bull`. */
  prefix?: string;
  /** Seconds between two writes of a key's `last_used_at`. Default 60. */
  touchIntervalSeconds?: number;
}

/**
 * Managed keys in Redis, every key under the `{keys}` hash tag (one Cluster slot): a hash per key
 * named by the key's sha256 (`secret:<sha256>`: the record as JSON and `last_used_at`, apart so a
 * touch never rewrites the record), `id:<id>` naming that hash for the admin API, and `ids`, a
 * sorted set by creation time for listing. The key itself is never stored.
 */
export class ApiKeyStore {
  private readonly base: string;
  private readonly touchIntervalSeconds: number;

  constructor(private readonly options: ApiKeyStoreOptions) {
    this.base = `${options.prefix ?? DEFAULT_QUEUE_PREFIX}:{keys}:`;
    this.touchIntervalSeconds = options.touchIntervalSeconds ?? 60;
  }

  private get redis(): RedisClient {
    return this.options.redis;
  }

  async create(owner: string, record: StoredApiKey, createdAtMs: number): Promise<void> {
    const multi = this.redis.multi();
    multi.hset(this.secretKey(owner), 'record', JSON.stringify(record));
    multi.set(this.idKey(record.id), owner);
    multi.zadd(this.idsKey(), createdAtMs, record.id);
    await execOrThrow(multi);
  }

  /** The key whose sha256 is `owner`, marked used at `nowSeconds`; null when there is none. */
  async use(owner: string, nowSeconds: number): Promise<ApiKeyRecord | null> {
    const found = (await USE_SCRIPT.run(this.redis, [this.secretKey(owner)], [nowSeconds, this.touchIntervalSeconds])) as [string, string] | null;
    return found ? parseRecord(owner, found[0], found[1]) : null;
  }

  async get(id: string): Promise<ApiKeyRecord | null> {
    const owner = await this.redis.get(this.idKey(id));
    if (owner === null) return null;
    const [record, lastUsed] = await this.redis.hmget(this.secretKey(owner), 'record', 'last_used_at');
    return parseRecord(owner, record ?? null, lastUsed ?? null);
  }

  /** Every key, oldest first. */
  async list(): Promise<ApiKeyRecord[]> {
    const ids = await this.redis.zrange(this.idsKey(), '0', '-1');
    const records: ApiKeyRecord[] = [];
    for (let start = 0; start < ids.length; start += LIST_CHUNK) {
      const chunk = ids.slice(start, start + LIST_CHUNK);
      const owners = await this.redis.mget(...chunk.map((id) => this.idKey(id)));
      const pipeline = this.redis.pipeline();
      for (const owner of owners) if (owner !== null) pipeline.hmget(this.secretKey(owner), 'record', 'last_used_at');
      const replies = (await pipeline.exec()) ?? [];
      let reply = 0;
      for (const owner of owners) {
        if (owner === null) continue;
        const [error, values] = replies[reply++] ?? [];
        if (error) throw error;
        const [record, lastUsed] = (values as Array<string | null> | undefined) ?? [];
        const parsed = parseRecord(owner, record ?? null, lastUsed ?? null);
        if (parsed) records.push(parsed);
      }
    }
    return records;
  }

  /** Writes a key's new name, scopes or limits; false when it was revoked meanwhile. */
  async replace(owner: string, record: StoredApiKey): Promise<boolean> {
    return (await REPLACE_SCRIPT.run(this.redis, [this.secretKey(owner)], [JSON.stringify(record)])) === 1;
  }

  /** Deletes a key; answers its owner id, or null when there was no such key. */
  async remove(id: string): Promise<string | null> {
    const owner = await this.redis.get(this.idKey(id));
    if (owner === null) return null;
    const multi = this.redis.multi();
    multi.del(this.secretKey(owner));
    multi.del(this.idKey(id));
    multi.zrem(this.idsKey(), id);
    const replies = await execOrThrow(multi);
    return replies[0]?.[1] === 1 ? owner : null;
  }

  private secretKey(owner: string): string {
    return `${this.base}secret:${owner}`;
  }

  private idKey(id: string): string {
    return `${this.base}id:${id}`;
  }

  private idsKey(): string {
    return `${this.base}ids`;
  }
}

function parseRecord(owner: string, json: string | null, lastUsed: string | null): ApiKeyRecord | null {
  if (json === null) return null;
  try {
    const parsed = storedApiKeySchema.safeParse(JSON.parse(json));
    if (!parsed.success) return null;
    const lastUsedAt = lastUsed === null ? null : Number(lastUsed);
    return { ...parsed.data, owner, lastUsedAt: Number.isFinite(lastUsedAt) ? lastUsedAt : null };
  } catch {
    return null;
  }
}

type MultiReplies = Array<[Error | null, unknown]>;

/** MULTI reports a failed command inside its reply rather than by rejecting. */
async function execOrThrow(multi: ReturnType<RedisClient['multi']>): Promise<MultiReplies> {
  const replies = ((await multi.exec()) ?? []) as MultiReplies;
  const failed = replies.find(([error]) => error);
  if (failed?.[0]) throw failed[0];
  return replies;
}
