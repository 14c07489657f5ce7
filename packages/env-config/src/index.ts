export * from './parse-environment';
export * from './shared-env';
