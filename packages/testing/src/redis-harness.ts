import { randomUUID } from 'node:crypto';
import { RedisClusterProcess, type RedisClusterNodeAddress, type RedisClusterOptions, RedisServerProcess } from '@imageforge/embedded-redis';

/**
 * Starts a real redis-server on a free port for one test file.
 * Usage: `const redis = useRedisServer();` at the top of a describe; read `redis.url` in tests.
 */
export function useRedisServer(): { readonly url: string; readonly server: RedisServerProcess } {
  let server: RedisServerProcess | undefined;
  beforeAll(async () => {
    server = await RedisServerProcess.start();
  });
  afterAll(async () => {
    await server?.stop();
  });
  return {
    get url() {
      if (!server) throw new Error('redis-server not started yet (read url inside a test or hook)');
      return server.url;
    },
    get server() {
      if (!server) throw new Error('redis-server not started yet');
      return server;
    },
  };
}

/**
 * Starts a real Redis Cluster (3 masters by default) for one test file.
 * Usage: `const redis = useRedisCluster();` at the top of a describe; read `redis.nodes` in tests.
 */
export function useRedisCluster(options?: RedisClusterOptions): {
  readonly nodes: RedisClusterNodeAddress[];
  readonly nodesSpec: string;
  readonly cluster: RedisClusterProcess;
} {
  let cluster: RedisClusterProcess | undefined;
  const running = (): RedisClusterProcess => {
    if (!cluster) throw new Error('Redis Cluster not started yet (read it inside a test or hook)');
    return cluster;
  };
  beforeAll(async () => {
    cluster = await RedisClusterProcess.start(options);
  });
  afterAll(async () => {
    await cluster?.stop();
  });
  return {
    get nodes() {
      return running().nodes;
    },
    get nodesSpec() {
      return running().nodesSpec;
    },
    get cluster() {
      return running();
    },
  };
}

/** A queue name no other test uses, as BullMQ's own tests do. */
export function uniqueQueueName(prefix = 'test'): string {
  return `${prefix}-${randomUUID()}`;
}
