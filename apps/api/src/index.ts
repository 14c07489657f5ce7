export { parseApiEnv, type ApiEnv } from './api-config';
export { startApi, type ApiRuntime } from './api-runtime';
export { createApp } from './create-app';
export type { ApiDeps } from './api-deps';
