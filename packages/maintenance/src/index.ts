export * from './storage-sweep.handler';
export * from './maintenance-job-handlers';
