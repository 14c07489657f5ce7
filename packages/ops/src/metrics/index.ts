export * from './metric-names';
export * from './api-metrics';
export * from './worker-metrics';
export * from './enqueue-counter';
export * from './lane-head-age';
export * from './heartbeat-reader';
