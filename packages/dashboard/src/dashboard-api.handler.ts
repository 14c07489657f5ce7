import { Router, type Request, type Response } from 'express';
import { InvalidRequestError, NotFoundError } from '@imageforge/contracts';
import type { OpsReader } from '@imageforge/ops';
import { describeIssues, jobQuerySchema, usageQuerySchema } from './dashboard-inputs.schema';
import { sendError } from './dashboard-errors';
import type { LiveFeed } from './live-feed.service';
import { trimHistory } from './overview-history';

/** Blank form fields mean "any": the search form sends every field. */
function presentQuery(req: Request): Record<string, unknown> {
  return Object.fromEntries(Object.entries(req.query).filter(([, value]) => value !== ''));
}

/** The read side: GET /api/* over the ops reader, plus the live stream. */
export function dashboardApiRouter(reader: OpsReader, feed: LiveFeed): Router {
  const api = Router();
  const noStore = (res: Response) => res.setHeader('cache-control', 'no-store');

  api.get('/overview', async (_req, res) => {
    const [lanes, models, minute, hour] = await Promise.all([reader.lanes(), reader.models(), reader.history('minute'), reader.history('hour')]);
    noStore(res);
    res.json({ lanes, models, history: { minute: trimHistory(minute, 60), hour: trimHistory(hour, 24) } });
  });
  api.get('/workers', async (_req, res) => {
    noStore(res);
    res.json({ workers: await reader.workers() });
  });
  api.get('/failures', async (_req, res) => {
    noStore(res);
    res.json({ failures: await reader.failures() });
  });
  api.get('/jobs', async (req, res) => {
    const query = jobQuerySchema.safeParse(presentQuery(req));
    if (!query.success) return sendError(res, new InvalidRequestError(`Bad job search: ${describeIssues(query.error)}`, { code: 'invalid_query' }));
    noStore(res);
    res.json({ jobs: await reader.findJobs(query.data) });
  });
  api.get('/jobs/:id', async (req, res) => {
    const job = await reader.job(req.params.id);
    if (!job) return sendError(res, new NotFoundError(`No job with id ${req.params.id}.`, { code: 'job_not_found' }));
    noStore(res);
    res.json({ job });
  });
  api.get('/batches', async (_req, res) => {
    noStore(res);
    res.json({ batches: await reader.batches() });
  });
  api.get('/usage', async (req, res) => {
    const query = usageQuerySchema.safeParse(presentQuery(req));
    if (!query.success) return sendError(res, new InvalidRequestError(`Bad usage query: ${describeIssues(query.error)}`, { code: 'invalid_query' }));
    noStore(res);
    res.json({ resolution: query.data.resolution, usage: await reader.usage(query.data.resolution) });
  });
  api.get('/actions', async (_req, res) => {
    noStore(res);
    res.json({ actions: await reader.actions() });
  });
  api.get('/live', (_req, res) => feed.open(res));
  return api;
}
