import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { createDashboardRouter } from '@imageforge/dashboard';
import type { ApiDeps } from './api-deps';
import { createAdminAuthMiddleware } from './middleware/admin-auth.middleware';
import { createAuthMiddleware } from './middleware/auth.middleware';
import { createErrorHandler, notFoundRoute } from './middleware/error-handler.middleware';
import { createErrorMetricsMiddleware, createHttpMetricsMiddleware, rememberRouteBase } from './middleware/http-metrics.middleware';
import { requestIdMiddleware } from './middleware/request-id.middleware';
import { openaiHeadersMiddleware } from './middleware/openai-headers.middleware';
import { createRateLimitMiddleware } from './middleware/rate-limit.middleware';
import { requireScope } from './middleware/scope.middleware';
import { adminKeysRouter } from './routes/admin-keys.handler';
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
  app.use(createHttpMetricsMiddleware(deps.metrics));

  app.get('/healthz', healthzHandler);
  app.get('/readyz', readyzHandler(deps));
  app.get('/metrics', metricsHandler(deps));
  if (deps.localObjects) app.get(`${LOCAL_OBJECTS_ROUTE}/*key`, localObjectsHandler(deps.localObjects));
  if (deps.adminDashboard) {
    const admin = createAdminAuthMiddleware(deps.adminDashboard.adminKey);
    app.use('/admin/queues', admin, deps.adminDashboard.router);
    if (deps.webhooks) app.use('/admin/webhooks', admin, adminWebhooksRouter(deps.webhooks.outbox));
    if (deps.managedKeys) app.use('/admin/api/keys', admin, adminKeysRouter(deps.managedKeys));
  }
  if (deps.ops && deps.adminDashboard) {
    const { adminKey, readOnly = false } = deps.adminDashboard;
    app.use('/dashboard', createDashboardRouter({ reader: deps.ops.reader, actions: deps.ops.actions, adminKey, readOnly, logger: deps.logger }));
  }

  const v1 = express.Router();
  v1.use(rememberRouteBase);
  v1.use(openaiHeadersMiddleware);
  v1.use(createAuthMiddleware(deps.apiKeys, deps.managedKeys));
  v1.use(createRateLimitMiddleware(deps.rateLimits, deps.logger));
  const smallJson = express.json({ limit: SMALL_JSON_LIMIT });
  const multipart = createMultipartMiddleware({ maxRequestBytes: deps.limits.maxRequestBytes });
  const largeJson = express.json({ limit: deps.limits.maxRequestBytes });
  const multipartOrJson = (req: Request, res: Response, next: NextFunction) =>
    req.is('multipart/form-data') ? multipart(req, res, next) : largeJson(req, res, next);

  // Each route names its scope first, so a key without it is refused before any body is read.
  const images = requireScope('images');
  const read = requireScope('read');
  const batch = requireScope('batch');
  v1.post('/images/generations', images, smallJson, imageGenerationsHandler(deps));
  v1.post('/images/edits', images, multipartOrJson, imageEditsHandler(deps));
  v1.post('/images/variations', images, multipart, imageVariationsHandler(deps));
  v1.get('/images/jobs/:id', read, getImageJobHandler(deps));
  v1.get('/images/jobs/:id/events', read, imageJobEventsHandler(deps));
  v1.post('/images/jobs/:id/cancel', images, cancelImageJobHandler(deps));
  v1.get('/models', read, listModelsHandler(deps));
  v1.get('/models/:id', read, getModelHandler(deps));
  v1.post('/files', batch, createFileUploadMiddleware(deps.files), createFileHandler(deps));
  v1.get('/files', batch, listFilesHandler(deps));
  v1.get('/files/:id', batch, retrieveFileHandler(deps));
  v1.delete('/files/:id', batch, deleteFileHandler(deps));
  v1.get('/files/:id/content', batch, fileContentHandler(deps));
  v1.post('/batches', batch, smallJson, createBatchHandler(deps));
  v1.get('/batches', batch, listBatchesHandler(deps));
  v1.get('/batches/:id', batch, getBatchHandler(deps));
  v1.post('/batches/:id/cancel', batch, cancelBatchHandler(deps));
  app.use('/v1', v1);

  app.use(notFoundRoute);
  app.use(createErrorMetricsMiddleware(deps.metrics));
  app.use(createErrorHandler(deps.logger));
  return app;
}
