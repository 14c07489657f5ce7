import { toImagesResponse, type ImagesResponse } from '@imageforge/contracts';
import type { ImageJobPayload, ImageJobResult } from '@imageforge/jobs';
import { ObjectNotFoundError, type ObjectStorage } from '@imageforge/storage';
import { ImagesExpiredError } from './image-result-retention';

/**
 * The body the sync call returns for a finished job: the stored images become links
 * or base64 as the caller asked, then contracts' renderer applies OpenAI's rules.
 * Links are signed on every call, so a poll long after completion gets fresh ones.
 */
export async function renderImagesResponse(
  payload: ImageJobPayload,
  result: ImageJobResult,
  storage: ObjectStorage,
  urlTtlSeconds: number,
  /** How a `url` image is linked; default a signed link valid `urlTtlSeconds`. */
  link: (key: string) => Promise<string> = (key) => storage.signedUrl(key, { expiresInSeconds: urlTtlSeconds }),
): Promise<ImagesResponse> {
  const data = await Promise.all(
    result.images.map(async (image) =>
      payload.params.responseFormat === 'b64_json'
        ? { b64_json: (await readImage(storage, image.key)).toString('base64') }
        : { url: await link(image.key) },
    ),
  );
  return toImagesResponse({ params: payload.params, prompt: 'prompt' in payload ? payload.prompt : undefined, facts: result, data });
}

/** An image retention already deleted is the job's answer, not a fault of the store. */
async function readImage(storage: ObjectStorage, key: string): Promise<Buffer> {
  try {
    return await storage.get(key);
  } catch (error) {
    if (error instanceof ObjectNotFoundError) throw new ImagesExpiredError();
    throw error;
  }
}
