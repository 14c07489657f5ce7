export * from './redis-harness';
export { findFreePort, RedisServerProcess } from '@imageforge/embedded-redis';
