export * from './image-engine';
