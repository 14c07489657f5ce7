import type { Request, Response } from 'express';
import { modelNotFound, toModelList, toModel } from '@imageforge/contracts';
import type { ApiDeps } from '../api-deps';

/** GET /v1/models */
export function listModelsHandler(deps: ApiDeps) {
  return (_req: Request, res: Response): void => {
    res.json(toModelList(deps.registry));
  };
}

/** GET /v1/models/:id */
export function getModelHandler(deps: ApiDeps) {
  return (req: Request, res: Response): void => {
    const id = String(req.params.id);
    const entry = deps.registry.get(id);
    if (!entry) throw modelNotFound(id);
    res.json(toModel(entry));
  };
}
