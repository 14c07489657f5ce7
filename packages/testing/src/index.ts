export * from './redis-harness';
export { findFreePort, isProcessAlive, RedisClusterProcess, RedisServerProcess } from '@imageforge/embedded-redis';
export type { RedisClusterNodeAddress, RedisClusterOptions } from '@imageforge/embedded-redis';
export * from './s3-harness';
export * from './in-memory-job-gateway';
export * from './http-fuzz';
export * from './webhook-receiver';
export * from './image-params.fixture';
