import { randomUUID } from 'node:crypto';
import { RedisServerProcess } from '@imageforge/embedded-redis';

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

/** A queue name no other test uses, as BullMQ's own tests do. */
export function uniqueQueueName(prefix = 'test'): string {
  return `${prefix}-${randomUUID()}`;
}
