export * from './api-key';
export * from './api-key.store';
export * from './api-key.service';
export * from './api-key.view';
