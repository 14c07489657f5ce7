export * from './redis-harness';
export { findFreePort, RedisServerProcess } from '@imageforge/embedded-redis';
export * from './s3-harness';
