import { Cluster, Redis, type ClusterNode, type RedisOptions } from 'ioredis';

/** Either client BullMQ runs on; a Cluster when `REDIS_CLUSTER_NODES` is set. */
export type RedisClient = Redis | Cluster;

/** Where Redis is: one server by URL, or the seed nodes of a Redis Cluster. */
export type RedisTarget = string | { url: string } | { clusterNodes: ReadonlyArray<{ host: string; port: number }> };

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
export function createRedisConnection(target: RedisTarget, options: RedisConnectionOptions): RedisClient {
  const producer = options.role === 'producer';
  const minDelay = options.reconnectMinDelayMs ?? 50;
  const maxDelay = options.reconnectMaxDelayMs ?? (producer ? 1_000 : 5_000);
  // Both roles keep reconnecting: a producer that gave up would answer 503 forever
  // after Redis came back.
  const retryStrategy = (times: number): number => Math.min(minDelay * 2 ** Math.min(times - 1, 16), maxDelay);
  const perNode: RedisOptions = {
    connectionName: options.connectionName ?? `imageforge:${options.role}`,
    retryStrategy,
    ...(producer
      ? { maxRetriesPerRequest: 1, connectTimeout: options.connectTimeoutMs ?? 500, commandTimeout: options.commandTimeoutMs ?? 5_000 }
      : { maxRetriesPerRequest: null, connectTimeout: options.connectTimeoutMs ?? 5_000 }),
  };
  if (typeof target === 'object' && 'clusterNodes' in target) {
    return new Cluster(target.clusterNodes as ClusterNode[], {
      redisOptions: perNode,
      clusterRetryStrategy: retryStrategy,
      enableOfflineQueue: !producer,
      // A producer's command fails over to a 503 instead of waiting through slot refreshes.
      ...(producer ? { maxRedirections: 4, retryDelayOnClusterDown: 50, retryDelayOnFailover: 50 } : {}),
    });
  }
  const url = typeof target === 'string' ? target : target.url;
  return new Redis(url, { ...perNode, ...(producer ? { enableOfflineQueue: false } : {}) });
}

/**
 * A new connection to the same Redis with the same settings under another name.
 * ioredis gives Cluster and Redis different `duplicate` signatures.
 */
export function duplicateConnection(client: RedisClient, connectionName: string): RedisClient {
  if (client instanceof Cluster) {
    return client.duplicate(undefined, { redisOptions: { ...client.options.redisOptions, connectionName } });
  }
  return client.duplicate({ connectionName });
}
