export * from './file-record';
export * from './file-metadata.store';
export * from './file.service';
export * from './size-cap';
export * from './image-file-resolver';
