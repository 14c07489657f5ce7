export * from './image-job-gateway';
export * from './image-job-id';
export * from './image-job.view';
export * from './images-response.builder';
export * from './image-submission.service';
export * from './image-job-query.service';
export * from './bullmq-image-job-gateway';
