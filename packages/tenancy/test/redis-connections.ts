import { Redis } from 'ioredis';
import { useRedisServer } from '@imageforge/testing';

/** A redis-server for the file, and connections to it that are closed after each test. */
export function useRedisConnections() {
  const redis = useRedisServer();
  const connections: Redis[] = [];
  afterEach(() => {
    for (const connection of connections.splice(0)) connection.disconnect();
  });
  return {
    connect(): Redis {
      const connection = new Redis(redis.url, { lazyConnect: true });
      connections.push(connection);
      return connection;
    },
    /** Closed with the others after the test. */
    adopt(connection: Redis): Redis {
      connections.push(connection);
      return connection;
    },
  };
}
