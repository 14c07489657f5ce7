import { NotFoundError } from '@imageforge/contracts';
import type { RedisClient } from '@imageforge/queue';
import { API_SCOPES, type ApiPrincipal } from '../principal';
import { API_KEY_PATTERN, apiKeyOwner, newApiKey, newKeyId, shownPrefixOf, type ApiKeyRecord, type StoredApiKey } from './api-key';
import { ApiKeyStore } from './api-key.store';
import { CreateApiKeyParamsSchema, UpdateApiKeyParamsSchema } from './api-key.view';
import { PrincipalCache } from './principal-cache';

/**
 * How long a process trusts what it read about a key. A revoke (or a scope change) made on
 * any process takes effect everywhere within this, plus one lookup: no pub/sub to miss.
 */
export const KEY_CACHE_TTL_MS = 500;
const KEY_CACHE_MAX_ENTRIES = 10_000;

export interface ApiKeyServiceOptions {
  redis: RedisClient;
  /** QUEUE_PREFIX; keys live under `<prefix>:{keys}:…`. Default `bull`. */
  prefix?: string;
  /** Unix milliseconds. Default: Date.now. */
  now?: () => number;
  /** Default KEY_CACHE_TTL_MS; tests shorten or lengthen it. */
  cacheTtlMs?: number;
  cacheMaxEntries?: number;
}

function keyNotFound(id: string): NotFoundError {
  return new NotFoundError(`No API key found with id '${id}'.`, { param: 'key_id', code: 'api_key_not_found' });
}

/** Managed API keys: the admin API's create, list, update and revoke, and the auth path's lookup. */
export class ApiKeyService {
  private readonly store: ApiKeyStore;
  private readonly now: () => number;
  private readonly cache: PrincipalCache<ApiPrincipal | null>;

  constructor(options: ApiKeyServiceOptions) {
    this.store = new ApiKeyStore({ redis: options.redis, prefix: options.prefix });
    this.now = options.now ?? Date.now;
    this.cache = new PrincipalCache(options.cacheTtlMs ?? KEY_CACHE_TTL_MS, options.cacheMaxEntries ?? KEY_CACHE_MAX_ENTRIES, this.now);
  }

  /** Creates a key from the admin API's body; the answer holds the key, which is never readable again. */
  async create(body: unknown): Promise<{ record: ApiKeyRecord; key: string }> {
    const params = CreateApiKeyParamsSchema.parse(body);
    const key = newApiKey();
    const owner = apiKeyOwner(key);
    const nowMs = this.now();
    const stored: StoredApiKey = {
      id: newKeyId(),
      name: params.name,
      prefix: shownPrefixOf(key),
      scopes: params.scopes ?? [...API_SCOPES],
      limits: params.limits ?? {},
      createdAt: Math.floor(nowMs / 1000),
    };
    await this.store.create(owner, stored, nowMs);
    this.cache.forget(owner);
    return { record: { ...stored, owner, lastUsedAt: null }, key };
  }

  list(): Promise<ApiKeyRecord[]> {
    return this.store.list();
  }

  async get(id: string): Promise<ApiKeyRecord> {
    const record = await this.store.get(id);
    if (!record) throw keyNotFound(id);
    return record;
  }

  async update(id: string, body: unknown): Promise<ApiKeyRecord> {
    const params = UpdateApiKeyParamsSchema.parse(body);
    const current = await this.get(id);
    const stored: StoredApiKey = {
      id: current.id,
      name: params.name ?? current.name,
      prefix: current.prefix,
      scopes: params.scopes ?? current.scopes,
      limits: params.limits ?? current.limits,
      createdAt: current.createdAt,
    };
    if (!(await this.store.replace(current.owner, stored))) throw keyNotFound(id);
    this.cache.forget(current.owner);
    return { ...stored, owner: current.owner, lastUsedAt: current.lastUsedAt };
  }

  /** Deletes the key: refused here at once, on every other process within KEY_CACHE_TTL_MS. */
  async revoke(id: string): Promise<void> {
    const owner = await this.store.remove(id);
    if (owner === null) throw keyNotFound(id);
    this.cache.forget(owner);
  }

  /**
   * The principal a presented key stands for, or null when it is no managed key. Throws what
   * Redis throws while it cannot be reached: a key nobody can check is not let in.
   */
  principalFor(key: string): Promise<ApiPrincipal | null> {
    // What cannot be a managed key costs no Redis round trip.
    if (!API_KEY_PATTERN.test(key)) return Promise.resolve(null);
    const owner = apiKeyOwner(key);
    return this.cache.get(owner, async () => {
      const record = await this.store.use(owner, Math.floor(this.now() / 1000));
      return record ? { owner, keyId: record.id, scopes: record.scopes, limits: record.limits } : null;
    });
  }
}
