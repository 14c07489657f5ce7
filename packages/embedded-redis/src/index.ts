export * from './free-port';
export * from './redis-server-process';
export * from './redis-cluster-process';
export * from './process-alive';
