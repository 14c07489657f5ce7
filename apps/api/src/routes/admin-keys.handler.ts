import express, { type Request, type Response, type Router } from 'express';
import { toApiKeyDeleted, toApiKeyList, toApiKeyObject, type ApiKeyService } from '@imageforge/tenancy';
import { sendJson } from './json-response';

/**
 * Managed API keys, mounted at /admin/api/keys behind the admin key: create (the only answer
 * that shows the key), list, retrieve, update (`POST /{id}`: name, scopes, limits) and revoke.
 */
export function adminKeysRouter(keys: ApiKeyService): Router {
  const router = express.Router();
  router.use(express.json({ limit: '64kb' }));

  router.post('/', async (req: Request, res: Response) => {
    const { record, key } = await keys.create(req.body ?? {});
    sendJson(res, 200, { ...toApiKeyObject(record), key });
  });

  router.get('/', async (_req: Request, res: Response) => {
    sendJson(res, 200, toApiKeyList(await keys.list()));
  });

  router.get('/:id', async (req: Request, res: Response) => {
    sendJson(res, 200, toApiKeyObject(await keys.get(String(req.params.id))));
  });

  router.post('/:id', async (req: Request, res: Response) => {
    sendJson(res, 200, toApiKeyObject(await keys.update(String(req.params.id), req.body ?? {})));
  });

  router.delete('/:id', async (req: Request, res: Response) => {
    const id = String(req.params.id);
    await keys.revoke(id);
    sendJson(res, 200, toApiKeyDeleted(id));
  });

  return router;
}
