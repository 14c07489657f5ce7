import type { Request, Response } from 'express';
import { parseCursorQuery, validateBatchCreate } from '@imageforge/contracts';
import type { ApiDeps } from '../api-deps';
import { jsonObjectBody } from './image-generations.handler';

const owner = (res: Response) => String(res.locals.owner);

/** POST /v1/batches */
export function createBatchHandler(deps: ApiDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const params = validateBatchCreate(jsonObjectBody(req.body));
    res.json(await deps.batches.create(owner(res), params));
  };
}

/** GET /v1/batches: newest first, OpenAI's cursor page (`limit` 1-100, default 20; `after`). */
export function listBatchesHandler(deps: ApiDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const page = parseCursorQuery(req.query as Record<string, unknown>, { maxLimit: 100, defaultLimit: 20 });
    res.json(await deps.batches.list(owner(res), page));
  };
}

/** GET /v1/batches/:id */
export function getBatchHandler(deps: ApiDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    res.json(await deps.batches.retrieve(owner(res), String(req.params.id)));
  };
}

/** POST /v1/batches/:id/cancel */
export function cancelBatchHandler(deps: ApiDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    res.json(await deps.batches.cancel(owner(res), String(req.params.id)));
  };
}
