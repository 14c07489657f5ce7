import type { Request, Response } from 'express';
import { applyFirstImageSize, checkUploads, InvalidRequestError, validateEditRequest } from '@imageforge/contracts';
import type { ApiDeps } from '../api-deps';
import { uploadedFiles } from '../uploads/multipart.middleware';
import { inspectUpload, storedInput, type InspectedUpload } from '../uploads/upload-inspector';
import { jsonObjectBody } from './image-generations.handler';
import { answerSubmission } from './submission-response';

/** POST /v1/images/edits: multipart (`image` / `image[]`, `mask`) or JSON with data URLs. */
export function imageEditsHandler(deps: ApiDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const multipart = Boolean(req.is('multipart/form-data'));
    const files = multipart ? uploadedFiles(req) : { images: [] };
    const validated = validateEditRequest(
      multipart
        ? { body: req.body ?? {}, source: 'multipart', imageCount: files.images.length }
        : { body: jsonObjectBody(req.body), source: 'json' },
      deps.registry,
    );
    const maxPixels = deps.limits.maxInputPixels;
    let images: InspectedUpload[];
    let mask: InspectedUpload | undefined;
    if (multipart) {
      images = await Promise.all(
        files.images.map((file) => inspectUpload(file.fieldname === 'image[]' ? 'image[]' : 'image', 'image', file.buffer, maxPixels)),
      );
      mask = files.mask ? await inspectUpload('mask', 'mask', files.mask.buffer, maxPixels) : undefined;
    } else {
      images = await Promise.all(validated.images.map((image) => inspectUpload('images', image.param, image.bytes, maxPixels)));
      mask = validated.mask ? await inspectUpload('mask', validated.mask.param, validated.mask.bytes, maxPixels) : undefined;
    }
    const first = images[0];
    if (!first) throw new InvalidRequestError("Missing required parameter: 'image'.", { param: 'image', code: 'missing_required_parameter' });
    checkUploads('edit', validated.entry.profile, { images: images.map((image) => image.probe), mask: mask?.probe });
    const { params } = applyFirstImageSize(validated, { width: first.probe.width, height: first.probe.height });
    await answerSubmission(req, res, deps, {
      operation: 'edit',
      entry: validated.entry,
      params,
      prompt: validated.prompt,
      images: images.map(storedInput),
      ...(mask ? { mask: storedInput(mask) } : {}),
    });
  };
}
