import type { Request, Response } from 'express';
import type { ApiDeps } from '../api-deps';

/** GET /v1/images/jobs/:id — status, progress and, once done, the sync body with fresh links. */
export function getImageJobHandler(deps: ApiDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    res.json(await deps.jobs.get(String(req.params.id), String(res.locals.owner)));
  };
}

/** POST /v1/images/jobs/:id/cancel — queued jobs never start, running ones are aborted. */
export function cancelImageJobHandler(deps: ApiDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    res.json(await deps.jobs.cancel(String(req.params.id), String(res.locals.owner)));
  };
}
