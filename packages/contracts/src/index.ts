export * from './api-errors';
export * from './image-params';
export * from './model-registry';
