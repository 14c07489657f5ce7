export * from './image-engine';
export * from './image-codec';
export * from './image-token-usage';
