import { WEBHOOKS_QUEUE, WebhookEventBodySchema, WebhookTargetSchema, type WebhookEventBody, type WebhookTarget } from '@imageforge/jobs';
import { DEFAULT_QUEUE_PREFIX, queuePrefix, type RedisClient } from '@imageforge/queue';

export type WebhookDeliveryState = 'pending' | 'delivered' | 'failed' | 'disabled';

export interface WebhookDeliveryAttempt {
  /** 1 for the first. */
  attempt: number;
  /** Unix milliseconds when it was sent. */
  at: number;
  /** The receiver's HTTP status; null when none came (timeout, connection error, refused address). */
  status: number | null;
  latencyMs: number;
  error?: string;
}

/** One delivery of one event to one target, as the admin API lists it. */
export interface WebhookDeliveryRecord {
  id: string;
  event: WebhookEventBody;
  target: WebhookTarget;
  owner: string;
  state: WebhookDeliveryState;
  /** Unix milliseconds. */
  createdAt: number;
  updatedAt: number;
  /** Attempts made so far. */
  attempts: number;
  lastStatus: number | null;
  lastError?: string;
  /** Unix milliseconds; set while a retry waits. */
  nextAttemptAt?: number;
  /** The delivery this one replays. */
  replayOf?: string;
}

export type NewWebhookDelivery = Pick<WebhookDeliveryRecord, 'id' | 'event' | 'target' | 'owner' | 'createdAt' | 'replayOf'>;

export interface WebhookDeliveryLogOptions {
  connection: RedisClient;
  /** QUEUE_PREFIX; keys live under `<prefix>:{webhooks}`, the webhook queue's own slot. Default `bull`. */
  prefix?: string;
  /** Deliveries the index keeps; older ones are deleted as they fall off it. Default 1000. */
  indexSize?: number;
  /** Attempts kept per delivery. Default 20. */
  attemptsKept?: number;
  /** Seconds a delivery's record outlives its last change. Default 7 days. */
  ttlSeconds?: number;
}

// Creates the record once (a re-emitted event finds it and changes nothing), indexes it, and deletes
// the records that fall off the capped index. KEYS: record, index. ARGV: id, ttl, cap, record key base, fields…
const CREATE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 5))
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('LPUSH', KEYS[2], ARGV[1])
local cap = tonumber(ARGV[3])
for _, old in ipairs(redis.call('LRANGE', KEYS[2], cap, -1)) do
  redis.call('DEL', ARGV[4] .. old, ARGV[4] .. old .. ':attempts')
end
redis.call('LTRIM', KEYS[2], 0, cap - 1)
return 1`;

// Records an attempt (when ARGV[1] is not empty) and the delivery's new state, on a record that still
// exists only. KEYS: record, attempts. ARGV: attempt JSON, attempts kept, ttl, fields…
const UPDATE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[1] ~= '' then
  redis.call('LPUSH', KEYS[2], ARGV[1])
  redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[2]) - 1)
  redis.call('EXPIRE', KEYS[2], ARGV[3])
end
redis.call('HDEL', KEYS[1], 'nextAttemptAt', 'lastError')
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1`;

export interface DeliveryUpdate {
  state: WebhookDeliveryState;
  attempt?: WebhookDeliveryAttempt;
  lastError?: string;
  nextAttemptAt?: number;
}

/**
 * The delivery log and the disabled-endpoint list, in Redis under the webhook queue's
 * hash tag. Holds event bodies and targets (for listing and replay), never secrets.
 */
export class WebhookDeliveryLog {
  private readonly connection: RedisClient;
  private readonly base: string;
  private readonly indexKey: string;
  private readonly disabledKey: string;
  private readonly indexSize: number;
  private readonly attemptsKept: number;
  private readonly ttlSeconds: number;

  constructor(options: WebhookDeliveryLogOptions) {
    this.connection = options.connection;
    const root = queuePrefix(options.prefix ?? DEFAULT_QUEUE_PREFIX, WEBHOOKS_QUEUE);
    this.base = `${root}:delivery:`;
    this.indexKey = `${root}:delivery-index`;
    this.disabledKey = `${root}:disabled-targets`;
    this.indexSize = options.indexSize ?? 1_000;
    this.attemptsKept = options.attemptsKept ?? 20;
    this.ttlSeconds = options.ttlSeconds ?? 7 * 24 * 3600;
  }

  /** Records deliveries not recorded yet, in one round trip; returns the ids that were new. */
  async create(deliveries: readonly NewWebhookDelivery[]): Promise<string[]> {
    if (deliveries.length === 0) return [];
    const pipeline = this.connection.pipeline();
    for (const delivery of deliveries) {
      const fields = {
        id: delivery.id,
        event: JSON.stringify(delivery.event),
        target: JSON.stringify(delivery.target),
        owner: delivery.owner,
        state: 'pending',
        createdAt: String(delivery.createdAt),
        updatedAt: String(delivery.createdAt),
        attempts: '0',
        ...(delivery.replayOf ? { replayOf: delivery.replayOf } : {}),
      };
      pipeline.eval(CREATE_SCRIPT, 2, this.base + delivery.id, this.indexKey, delivery.id, this.ttlSeconds, this.indexSize, this.base, ...Object.entries(fields).flat());
    }
    const replies = (await pipeline.exec()) ?? [];
    return replies.flatMap(([error, created], index) => {
      if (error) throw error;
      return created === 1 ? [deliveries[index]!.id] : [];
    });
  }

  /** Applies an attempt's outcome; a record already dropped from the log stays dropped. */
  async update(id: string, update: DeliveryUpdate, now = Date.now()): Promise<void> {
    const fields: Record<string, string> = { state: update.state, updatedAt: String(now) };
    if (update.attempt) {
      fields.attempts = String(update.attempt.attempt);
      fields.lastStatus = update.attempt.status === null ? '' : String(update.attempt.status);
    }
    if (update.lastError !== undefined) fields.lastError = update.lastError;
    if (update.nextAttemptAt !== undefined) fields.nextAttemptAt = String(update.nextAttemptAt);
    const attempt = update.attempt ? JSON.stringify(update.attempt) : '';
    await this.connection.eval(UPDATE_SCRIPT, 2, this.base + id, `${this.base}${id}:attempts`, attempt, this.attemptsKept, this.ttlSeconds, ...Object.entries(fields).flat());
  }

  async get(id: string): Promise<(WebhookDeliveryRecord & { attemptLog: WebhookDeliveryAttempt[] }) | null> {
    const [[metaError, meta], [attemptsError, attempts]] = ((await this.connection
      .pipeline()
      .hgetall(this.base + id)
      .lrange(`${this.base}${id}:attempts`, 0, -1)
      .exec()) ?? []) as [[Error | null, Record<string, string>], [Error | null, string[]]];
    if (metaError ?? attemptsError) throw metaError ?? attemptsError;
    const record = toRecord(meta);
    if (!record) return null;
    return { ...record, attemptLog: attempts.map((text) => JSON.parse(text) as WebhookDeliveryAttempt).reverse() };
  }

  /** Newest first, `limit` from `offset` of the capped index. */
  async list(options: { limit: number; offset?: number }): Promise<{ deliveries: WebhookDeliveryRecord[]; hasMore: boolean }> {
    const offset = options.offset ?? 0;
    const ids = await this.connection.lrange(this.indexKey, offset, offset + options.limit);
    const page = ids.slice(0, options.limit);
    const pipeline = this.connection.pipeline();
    for (const id of page) pipeline.hgetall(this.base + id);
    const replies = page.length > 0 ? ((await pipeline.exec()) ?? []) : [];
    const deliveries = replies.flatMap(([error, meta]) => {
      if (error) throw error;
      const record = toRecord(meta as Record<string, string>);
      return record ? [record] : [];
    });
    return { deliveries, hasMore: ids.length > options.limit };
  }

  /** Marks a target as gone (it answered 410): later events skip it. */
  async disable(targetKey: string, reason: string, now = Date.now()): Promise<void> {
    await this.connection.hset(this.disabledKey, targetKey, JSON.stringify({ at: now, reason }));
  }

  async enable(targetKey: string): Promise<void> {
    await this.connection.hdel(this.disabledKey, targetKey);
  }

  /** Which of `targetKeys` are disabled, in one round trip. */
  async disabledAmong(targetKeys: readonly string[]): Promise<Set<string>> {
    if (targetKeys.length === 0) return new Set();
    const flags = await this.connection.hmget(this.disabledKey, ...targetKeys);
    return new Set(targetKeys.filter((_, index) => flags[index] !== null));
  }
}

function toRecord(meta: Record<string, string> | null | undefined): WebhookDeliveryRecord | null {
  if (!meta?.id || !meta.event || !meta.target) return null;
  return {
    id: meta.id,
    event: WebhookEventBodySchema.parse(JSON.parse(meta.event)),
    target: WebhookTargetSchema.parse(JSON.parse(meta.target)),
    owner: meta.owner ?? '',
    state: (meta.state ?? 'pending') as WebhookDeliveryState,
    createdAt: Number(meta.createdAt),
    updatedAt: Number(meta.updatedAt),
    attempts: Number(meta.attempts ?? 0),
    lastStatus: meta.lastStatus ? Number(meta.lastStatus) : null,
    ...(meta.lastError ? { lastError: meta.lastError } : {}),
    ...(meta.nextAttemptAt ? { nextAttemptAt: Number(meta.nextAttemptAt) } : {}),
    ...(meta.replayOf ? { replayOf: meta.replayOf } : {}),
  };
}

/** The key a target is disabled under: a configured endpoint by id, a request's URL by itself. */
export function targetKey(target: WebhookTarget): string {
  return target.kind === 'endpoint' ? `endpoint:${target.endpointId}` : `url:${target.url}`;
}
