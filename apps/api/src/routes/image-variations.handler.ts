import type { Request, Response } from 'express';
import { checkUploads, InvalidRequestError, validateVariationRequest } from '@imageforge/contracts';
import type { ApiDeps } from '../api-deps';
import { uploadedFiles } from '../uploads/multipart.middleware';
import { answerSubmission } from './submission-response';

/** POST /v1/images/variations (multipart, dall-e-2). */
export function imageVariationsHandler(deps: ApiDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    if (!req.is('multipart/form-data')) {
      throw new InvalidRequestError("Invalid Content-Type header (expected 'multipart/form-data').", { code: 'invalid_content_type' });
    }
    const files = uploadedFiles(req);
    const { entry, params } = validateVariationRequest(
      { body: req.body ?? {}, source: 'multipart', imageCount: files.images.length },
      deps.registry,
    );
    if (files.mask) {
      throw new InvalidRequestError("Unrecognized request argument supplied: mask", { param: 'mask', code: 'unknown_parameter' });
    }
    const images = await Promise.all(files.images.map((file) => deps.requests.inspectBytes('image', 'image', file.buffer, file.mimetype)));
    checkUploads('variation', entry.profile, { images: images.map((image) => image.upload.probe) });
    const image = images[0];
    if (!image) throw new InvalidRequestError("Missing required parameter: 'image'.", { param: 'image', code: 'missing_required_parameter' });
    await answerSubmission(req, res, deps, { operation: 'variation', entry, params, image: image.input });
  };
}
