import type { Request, Response } from 'express';
import { validateEditRequest } from '@imageforge/contracts';
import type { ApiDeps } from '../api-deps';
import { uploadedFiles } from '../uploads/multipart.middleware';
import { jsonObjectBody } from './image-generations.handler';
import { answerSubmission } from './submission-response';

/** POST /v1/images/edits: multipart (`image` / `image[]`, `mask`) or JSON with data URLs or file ids. */
export function imageEditsHandler(deps: ApiDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    if (!req.is('multipart/form-data')) {
      await answerSubmission(req, res, deps, await deps.requests.jsonEdit(jsonObjectBody(req.body), String(res.locals.owner)));
      return;
    }
    const files = uploadedFiles(req);
    const validated = validateEditRequest({ body: req.body ?? {}, source: 'multipart', imageCount: files.images.length }, deps.registry);
    const images = await Promise.all(
      files.images.map((file) => deps.requests.inspectBytes('image', file.fieldname === 'image[]' ? 'image[]' : 'image', file.buffer, file.mimetype)),
    );
    const mask = files.mask ? await deps.requests.inspectBytes('mask', 'mask', files.mask.buffer, files.mask.mimetype) : undefined;
    await answerSubmission(req, res, deps, deps.requests.edit(validated, images, mask));
  };
}
