export * from './device-lock';
export * from './engine-factory';
export * from './engine-set';
export * from './image-job-handlers';
export * from './job-seed';
export { readInputImage, type ReadInputOptions } from './stored-inputs';
export { storeOutputImages, type PreviewEncoding } from './stored-outputs';
