export * from './job-slot-release.hook';
export * from './limit-keys';
export * from './openai-duration';
export * from './rate-limit-answers';
export * from './rate-limiter';
