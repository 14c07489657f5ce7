export * from './storage-sweep.handler';
export * from './maintenance-job-handlers';
export * from './file-expiry.handler';
