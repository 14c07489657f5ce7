import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { ApiDeps } from './api-deps';
import { createAdminAuthMiddleware } from './middleware/admin-auth.middleware';
import { createAuthMiddleware } from './middleware/auth.middleware';
import { createErrorHandler, notFoundRoute } from './middleware/error-handler.middleware';
import { requestIdMiddleware } from './middleware/request-id.middleware';
import { openaiHeadersMiddleware } from './middleware/openai-headers.middleware';
import { adminWebhooksRouter } from './routes/admin-webhooks.handler';
import { healthzHandler, readyzHandler } from './routes/health.handler';
import { imageEditsHandler } from './routes/image-edits.handler';
import { imageGenerationsHandler } from './routes/image-generations.handler';
import { imageJobEventsHandler } from './routes/image-job-events.handler';
import { cancelImageJobHandler, getImageJobHandler } from './routes/image-jobs.handler';
import { imageVariationsHandler } from './routes/image-variations.handler';
import { LOCAL_OBJECTS_ROUTE, localObjectsHandler } from './routes/local-objects.handler';
import { cancelBatchHandler, createBatchHandler, getBatchHandler, listBatchesHandler } from './routes/batches.handler';
import { createFileHandler, deleteFileHandler, fileContentHandler, listFilesHandler, retrieveFileHandler } from './routes/files.handler';
import { metricsHandler } from './routes/metrics.handler';
import { getModelHandler, listModelsHandler } from './routes/models.handler';
import { createFileUploadMiddleware } from './uploads/file-upload.middleware';
import { createMultipartMiddleware } from './uploads/multipart.middleware';

/** Small JSON bodies (generations); edits in JSON form carry images and get the request cap. */
const SMALL_JSON_LIMIT = '1mb';

/** Builds the express app; main.ts listens, tests run it in-process. */
export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestIdMiddleware);

  app.get('/healthz', healthzHandler);
  app.get('/readyz', readyzHandler(deps));
  app.get('/metrics', metricsHandler(deps));
  if (deps.localObjects) app.get(`${LOCAL_OBJECTS_ROUTE}/*key`, localObjectsHandler(deps.localObjects));
  if (deps.adminDashboard) {
    app.use('/admin/queues', createAdminAuthMiddleware(deps.adminDashboard.adminKey), deps.adminDashboard.router);
    if (deps.webhooks) app.use('/admin/webhooks', createAdminAuthMiddleware(deps.adminDashboard.adminKey), adminWebhooksRouter(deps.webhooks.outbox));
  }

  const v1 = express.Router();
  v1.use(openaiHeadersMiddleware);
  v1.use(createAuthMiddleware(deps.apiKeys));
  const smallJson = express.json({ limit: SMALL_JSON_LIMIT });
  const multipart = createMultipartMiddleware({ maxRequestBytes: deps.limits.maxRequestBytes });
  const largeJson = express.json({ limit: deps.limits.maxRequestBytes });
  const multipartOrJson = (req: Request, res: Response, next: NextFunction) =>
    req.is('multipart/form-data') ? multipart(req, res, next) : largeJson(req, res, next);

  v1.post('/images/generations', smallJson, imageGenerationsHandler(deps));
  v1.post('/images/edits', multipartOrJson, imageEditsHandler(deps));
  v1.post('/images/variations', multipart, imageVariationsHandler(deps));
  v1.get('/images/jobs/:id', getImageJobHandler(deps));
  v1.get('/images/jobs/:id/events', imageJobEventsHandler(deps));
  v1.post('/images/jobs/:id/cancel', cancelImageJobHandler(deps));
  v1.get('/models', listModelsHandler(deps));
  v1.get('/models/:id', getModelHandler(deps));
  v1.post('/files', createFileUploadMiddleware(deps.files), createFileHandler(deps));
  v1.get('/files', listFilesHandler(deps));
  v1.get('/files/:id', retrieveFileHandler(deps));
  v1.delete('/files/:id', deleteFileHandler(deps));
  v1.get('/files/:id/content', fileContentHandler(deps));
  v1.post('/batches', smallJson, createBatchHandler(deps));
  v1.get('/batches', listBatchesHandler(deps));
  v1.get('/batches/:id', getBatchHandler(deps));
  v1.post('/batches/:id/cancel', cancelBatchHandler(deps));
  app.use('/v1', v1);

  app.use(notFoundRoute);
  app.use(createErrorHandler(deps.logger));
  return app;
}
