import type { NextFunction, Request, Response } from 'express';
import { ApiError, RateLimitError } from '@imageforge/contracts';
import type { ApiMetrics, HttpMode, RateLimitKind } from '@imageforge/ops';

/** RateLimitError's `type` (OpenAI's words) to the bounded `limit` label. */
const LIMIT_OF_TYPE: Record<string, RateLimitKind> = { requests: 'requests', images: 'images', jobs: 'concurrency', insufficient_quota: 'quota' };

/**
 * Times every request into `imageforge_http_request_duration_seconds` once its answer is out (or
 * the caller left), labelled by the express route pattern that matched, never the path itself,
 * which carries ids.
 */
export function createHttpMetricsMiddleware(metrics: ApiMetrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const began = performance.now();
    res.once('close', () => {
      metrics.httpRequest({ route: routeOf(req, res), mode: modeOf(req, res), statusClass: `${Math.floor(res.statusCode / 100)}xx` }, (performance.now() - began) / 1000);
    });
    next();
  };
}

/** Before the error handler: counts the refusals and timeouts that have a metric of their own, then passes the error on. */
export function createErrorMetricsMiddleware(metrics: ApiMetrics) {
  return (error: unknown, req: Request, res: Response, next: NextFunction): void => {
    if (error instanceof RateLimitError) metrics.rateLimited(LIMIT_OF_TYPE[error.type] ?? 'requests');
    else if (error instanceof ApiError && error.code === 'job_timeout') metrics.syncTimedOut(routeOf(req, res));
    next(error);
  };
}

/**
 * First in a mounted router: remembers its mount path, which express resets before an error
 * leaves the router, so a refused request is labelled by the same route as an answered one.
 */
export function rememberRouteBase(req: Request, res: Response, next: NextFunction): void {
  res.locals.routeBase = req.baseUrl;
  next();
}

/** `/v1/images/jobs/:id`, not the path with its id; `unmatched` when no route took the request. */
function routeOf(req: Request, res: Response): string {
  const pattern: unknown = req.route?.path;
  if (typeof pattern !== 'string') return 'unmatched';
  const base: unknown = res.locals.routeBase;
  return `${typeof base === 'string' ? base : req.baseUrl}${pattern}`;
}

function modeOf(req: Request, res: Response): HttpMode {
  if (String(res.getHeader('content-type') ?? '').startsWith('text/event-stream')) return 'stream';
  const prefer = req.get('prefer')?.toLowerCase() ?? '';
  return /respond-async|wait\s*=/.test(prefer) ? 'async' : 'sync';
}
