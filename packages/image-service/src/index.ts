export * from './image-job-id';
export * from './image-job.view';
export * from './image-job-errors';
export * from './images-response';
export * from './image-submission.service';
export * from './image-job-query.service';
export * from './image-request-builder';
export * from './upload-inspector';
