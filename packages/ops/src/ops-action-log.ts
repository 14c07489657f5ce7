import type { RedisClient } from '@imageforge/queue';
import { exec } from './ops-history.recorder';
import { OpsKeys } from './ops-keys';
import type { ActionRecord } from './ops-views';

export const ACTION_LOG_LENGTH = 1_000;

/** Operator actions in a capped Redis list, newest first. */
export class OpsActionLog {
  private readonly keys: OpsKeys;

  constructor(private readonly options: { redis: RedisClient; prefix?: string; length?: number }) {
    this.keys = new OpsKeys(options.prefix);
  }

  async append(record: ActionRecord): Promise<void> {
    const pipeline = this.options.redis.pipeline();
    pipeline.lpush(this.keys.actions, JSON.stringify(record));
    pipeline.ltrim(this.keys.actions, 0, (this.options.length ?? ACTION_LOG_LENGTH) - 1);
    await exec(pipeline);
  }

  async list(limit = 200): Promise<ActionRecord[]> {
    const entries = await this.options.redis.lrange(this.keys.actions, 0, limit - 1);
    return entries.map((entry) => JSON.parse(entry) as ActionRecord);
  }
}
