export { UpstreamImageEngine, type UpstreamEngineOptions } from './upstream-engine';
export { UpstreamEngineConfigSchema, wireProfileOf, type UpstreamEngineConfig, type UpstreamEngineConfigInput } from './upstream-engine-config';
export { UpstreamLimiter, systemClock, type LimiterClock, type UpstreamLimits } from './upstream-limiter';
export { UpstreamLimiterRegistry, sharedUpstreamLimiters } from './upstream-limiter-registry';
export { backoffMs, retryAfterMs, shouldRetry } from './upstream-retry';
