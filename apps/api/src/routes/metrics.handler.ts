import type { Request, Response } from 'express';
import type { ApiDeps } from '../api-deps';

/**
 * GET /metrics in Prometheus text format: prom-client's process metrics, this API's counters and
 * histograms, and the deployment's queue, worker and batch gauges read from Redis now. Counts only,
 * no job data, so it needs no key (like /healthz).
 */
export function metricsHandler(deps: ApiDeps) {
  return async (_req: Request, res: Response): Promise<void> => {
    const text = await deps.metrics.registry.metrics();
    res.setHeader('content-type', deps.metrics.registry.contentType);
    res.end(text);
  };
}
