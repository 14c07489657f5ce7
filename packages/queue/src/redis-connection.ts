import { Redis } from 'ioredis';

/**
 * `producer`: the API's side. A Redis outage must become a 503 at once, so
 * commands never wait in an offline queue and are not retried across reconnects.
 * `consumer`: workers, QueueEvents and waiters. They wait out an outage and
 * reconnect forever; BullMQ requires `maxRetriesPerRequest: null` for them.
 */
export type RedisRole = 'producer' | 'consumer';

export interface RedisConnectionOptions {
  role: RedisRole;
  /** Name shown by CLIENT LIST. Default `imageforge:<role>`. */
  connectionName?: string;
  /** Give up on a TCP connect after this long. Default 500 ms (producer), 5 s (consumer). */
  connectTimeoutMs?: number;
  /**
   * Producer only: fail a command that gets no reply within this long, so a Redis
   * that accepts connections but does not answer also surfaces. Default 5 s.
   */
  commandTimeoutMs?: number;
  /** First reconnect delay; doubles per attempt. Default 50 ms. */
  reconnectMinDelayMs?: number;
  /** Reconnect delay cap. Default 1 s (producer), 5 s (consumer). */
  reconnectMaxDelayMs?: number;
}

/** Creates an ioredis client configured for its side of the queue. */
export function createRedisConnection(url: string, options: RedisConnectionOptions): Redis {
  const producer = options.role === 'producer';
  const minDelay = options.reconnectMinDelayMs ?? 50;
  const maxDelay = options.reconnectMaxDelayMs ?? (producer ? 1_000 : 5_000);
  // Both roles keep reconnecting: a producer that gave up would answer 503 forever
  // after Redis came back.
  const retryStrategy = (times: number): number => Math.min(minDelay * 2 ** Math.min(times - 1, 16), maxDelay);
  const common = {
    connectionName: options.connectionName ?? `imageforge:${options.role}`,
    retryStrategy,
  };
  if (producer) {
    return new Redis(url, {
      ...common,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: options.connectTimeoutMs ?? 500,
      commandTimeout: options.commandTimeoutMs ?? 5_000,
    });
  }
  return new Redis(url, {
    ...common,
    maxRetriesPerRequest: null,
    connectTimeout: options.connectTimeoutMs ?? 5_000,
  });
}
