import { encodeImage, extensionFor, type RawImage } from '@imageforge/engine-core';
import type { NormalizedImageParams } from '@imageforge/contracts';
import { outputImageKey, type StoredImage } from '@imageforge/jobs';
import type { ObjectStorage } from '@imageforge/storage';

/**
 * Encodes the engine's images as the caller asked and uploads them under keys
 * derived from the job id and index: a retried job overwrites its own objects,
 * so retries never leave extra ones behind.
 */
export async function storeOutputImages(
  storage: ObjectStorage,
  jobId: string,
  images: readonly RawImage[],
  params: NormalizedImageParams,
): Promise<StoredImage[]> {
  const extension = extensionFor(params.outputFormat);
  return Promise.all(
    images.map(async (image, index) => {
      const encoded = await encodeImage(image, {
        format: params.outputFormat,
        compression: params.outputCompression,
        background: params.background,
      });
      const key = outputImageKey(jobId, index, extension);
      await storage.put(key, encoded.data, { contentType: encoded.contentType });
      return { key, contentType: encoded.contentType, width: image.width, height: image.height, bytes: encoded.data.length };
    }),
  );
}

/** An engine that returns the wrong count or size is a fault in the engine, not in the job. */
export function assertEngineOutput(images: readonly RawImage[], params: NormalizedImageParams): void {
  if (images.length !== params.n) throw new Error(`engine returned ${images.length} images, expected ${params.n}`);
  for (const [index, image] of images.entries()) {
    if (image.width !== params.width || image.height !== params.height || image.data.length !== image.width * image.height * 4) {
      throw new Error(`engine image ${index} is ${image.width}x${image.height} (${image.data.length} bytes), expected ${params.width}x${params.height} RGBA`);
    }
  }
}
