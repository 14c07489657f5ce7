export * from './image-job-catalog';
export * from './storage-keys';
